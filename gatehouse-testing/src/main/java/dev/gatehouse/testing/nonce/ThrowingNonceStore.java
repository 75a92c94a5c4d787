package dev.gatehouse.testing.nonce;

import dev.gatehouse.proof.nonce.NonceStore;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A store that throws from every call instead of answering with a stage, against the port's
 * contract: for checking that callers survive a store that does (or that never asks it at all).
 */
public final class ThrowingNonceStore implements NonceStore {

    private final Supplier<RuntimeException> failure;

    /** A store whose every call throws what {@code failure} makes. */
    public ThrowingNonceStore(Supplier<RuntimeException> failure) {
        this.failure = failure;
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
        throw failure.get();
    }

    @Override
    public CompletionStage<Boolean> contains(String id) {
        throw failure.get();
    }
}
