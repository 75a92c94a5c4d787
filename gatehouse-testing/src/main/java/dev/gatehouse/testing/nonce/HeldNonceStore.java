package dev.gatehouse.testing.nonce;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.testing.Stages;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link NonceStore} whose every answer the test gives: each call returns an incomplete stage and
 * waits, in order of arrival, until the test takes it ({@link #next()}) and completes it. For tests
 * of callers that must not block on the store, and of what they do with late answers and failures.
 */
public final class HeldNonceStore implements NonceStore {

    /** One call waiting for its answer. */
    public record Call(String operation, String id, long expiresAtMillis, CompletableFuture<Boolean> answer) {

        /** Answers the call with {@code value}, on the calling thread. */
        public void answer(boolean value) {
            answer.complete(value);
        }

        /** Fails the call with {@code failure}, on the calling thread. */
        public void fail(Throwable failure) {
            answer.completeExceptionally(failure);
        }
    }

    private final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();

    @Override
    public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
        return hold(new Call("putIfAbsent", id, expiresAtMillis, new CompletableFuture<>()));
    }

    @Override
    public CompletionStage<Boolean> contains(String id) {
        return hold(new Call("contains", id, 0, new CompletableFuture<>()));
    }

    private CompletionStage<Boolean> hold(Call call) {
        calls.add(call);
        return call.answer;
    }

    /** The oldest call not taken yet, waiting for it at most {@link Stages#PATIENCE} (it may come from another thread). */
    public Call next() {
        try {
            Call call = calls.poll(Stages.PATIENCE.toNanos(), TimeUnit.NANOSECONDS);
            if (call == null) {
                throw new AssertionError("the store was not called within " + Stages.PATIENCE);
            }
            return call;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Calls made and not taken yet. */
    public int untaken() {
        return calls.size();
    }
}
