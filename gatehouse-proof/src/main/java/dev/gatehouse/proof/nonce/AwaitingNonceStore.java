package dev.gatehouse.proof.nonce;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The blocking view of a {@link NonceStore}: each call waits at most a fixed time for its stage. */
final class AwaitingNonceStore implements BlockingNonceStore {

    private final NonceStore store;
    private final long maxWaitNanos;

    AwaitingNonceStore(NonceStore store, long maxWaitNanos) {
        this.store = store;
        this.maxWaitNanos = maxWaitNanos;
    }

    @Override
    public boolean putIfAbsent(String id, long expiresAtMillis) {
        return await(store.putIfAbsent(id, expiresAtMillis), maxWaitNanos);
    }

    @Override
    public boolean contains(String id) {
        return await(store.contains(id), maxWaitNanos);
    }

    /**
     * The value of {@code stage}, waiting at most {@code maxWaitNanos}: the one place in this module
     * that blocks on a stage. Rethrows the stage's unchecked failure as it is; no answer in time, a
     * cancelled stage or an interrupt is {@link NonceStoreUnavailableException}.
     */
    static <T> T await(CompletionStage<T> stage, long maxWaitNanos) {
        try {
            return stage.toCompletableFuture().get(maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new NonceStoreUnavailableException("nonce store: " + cause, cause);
        } catch (TimeoutException e) {
            throw new NonceStoreUnavailableException(
                    "nonce store: no answer within " + Duration.ofNanos(maxWaitNanos), e);
        } catch (CancellationException e) {
            throw new NonceStoreUnavailableException("nonce store: the answer was cancelled", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonceStoreUnavailableException("nonce store: interrupted while waiting for an answer", e);
        }
    }
}
