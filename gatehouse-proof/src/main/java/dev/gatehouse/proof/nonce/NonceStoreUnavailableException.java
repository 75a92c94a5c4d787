package dev.gatehouse.proof.nonce;

import org.jspecify.annotations.Nullable;

/** A {@link NonceStore} cannot say whether an id is new: it is full of live ids, or unreachable. */
public final class NonceStoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NonceStoreUnavailableException(String message) {
        super(message);
    }

    public NonceStoreUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
