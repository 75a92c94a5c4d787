package dev.gatehouse.client;

import org.jspecify.annotations.Nullable;

/**
 * A call to Gatehouse that gave no answer the client can use: it timed out, could not connect, was
 * interrupted, or the answer was too long or not what the API sends. An answer with an error status
 * is the subclass {@link ErrorResponseException}.
 */
public class GatehouseClientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** No complete answer within the connect or request timeout. */
        TIMEOUT,
        /** The connection could not be made or broke. */
        CONNECTION,
        /** The thread was interrupted while it waited; its interrupt flag is set again. */
        INTERRUPTED,
        /** The answer's body was longer than the client's bound (the message names it). */
        ANSWER_TOO_LARGE,
        /** The answer was not what the API sends: another content type, not JSON, a field missing or of another type. */
        MALFORMED_ANSWER,
        /** The server answered with an error status: an {@link ErrorResponseException}. */
        ERROR_STATUS
    }

    private final Kind kind;

    public GatehouseClientException(Kind kind, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public GatehouseClientException(Kind kind, String message) {
        this(kind, message, null);
    }

    /** What went wrong. */
    public Kind kind() {
        return kind;
    }
}
