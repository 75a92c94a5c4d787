package dev.gatehouse.waitingroom.draw;

import java.io.Serial;

/** A draw file that is malformed or does not check out; the message names what failed. */
public final class DrawCheckException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}. */
    public DrawCheckException(String message) {
        super(message);
    }
}
