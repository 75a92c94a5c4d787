package dev.gatehouse.core.keyed;

import org.jspecify.annotations.Nullable;

/** A shared limiter store did not answer (timeout, connection lost, server error), so nothing was decided. */
public final class LimiterUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LimiterUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
