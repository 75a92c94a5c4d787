package dev.gatehouse.proof.internal;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * How verifiers ask a {@link NonceStore}: however a store fails to answer, the verifier sees one
 * failed stage, which it turns into its UNAVAILABLE verdict.
 */
public final class SingleUse {

    private SingleUse() {}

    /** {@link NonceStore#putIfAbsent}; an unavailability thrown by the call (against the contract) fails the stage. */
    public static CompletionStage<Boolean> consume(NonceStore store, String id, long expiresAtMillis) {
        try {
            return store.putIfAbsent(id, expiresAtMillis);
        } catch (NonceStoreUnavailableException e) {
            return CompletableFuture.failedStage(e);
        }
    }

    /** {@link NonceStore#contains}; an unavailability thrown by the call (against the contract) fails the stage. */
    public static CompletionStage<Boolean> isConsumed(NonceStore store, String id) {
        try {
            return store.contains(id);
        } catch (NonceStoreUnavailableException e) {
            return CompletableFuture.failedStage(e);
        }
    }

    /** Whether a stage's {@code failure} (possibly wrapped by a dependent stage) says the store could not answer. */
    public static boolean isUnavailable(Throwable failure) {
        return failure instanceof NonceStoreUnavailableException
                || (failure instanceof CompletionException
                        && failure.getCause() instanceof NonceStoreUnavailableException);
    }

    /** {@code failure}, to throw from a dependent stage's function so that stage fails with the same cause. */
    public static CompletionException propagate(Throwable failure) {
        return failure instanceof CompletionException wrapped ? wrapped : new CompletionException(failure);
    }
}
