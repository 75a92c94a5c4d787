package dev.gatehouse.core.wait;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.Scheduler;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A {@link WaitingLimiter}: one line of a {@link WaitQueue} in front of a limiter of this process. */
final class FifoWaitingLimiter implements WaitingLimiter {

    /*
     * Design: the queue sees the limiter through a port that serves every key from it and answers at
     * once; this view uses one key. Every permit given back through release() goes to the limiter and
     * then signals the queue, so no recheck interval is needed: a concurrency limiter's waiters are
     * woken by releases only. A call turned away for a full line gets its figures from the limiter's
     * state now (exact), not from the queue's aged copy of the last refusal.
     */

    private static final String KEY = "";
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final RateLimiter limiter;
    private final int maxWaiters;
    private final WaitQueue queue;

    FifoWaitingLimiter(RateLimiter limiter, int maxWaiters, Scheduler scheduler) {
        this.limiter = limiter;
        this.maxWaiters = maxWaiters;
        this.queue = WaitQueue.builder(new OneLimiter(limiter), scheduler)
                .withoutRecheck()
                .build();
    }

    @Override
    public CompletableFuture<Decision> acquire(long permits, long timeoutNanos) {
        CompletableFuture<Decision> result = queue.acquire(KEY, limiter.spec(), permits, maxWaiters, timeoutNanos);
        if (maxWaiters != 0
                && result.isDone()
                && !result.isCompletedExceptionally()
                && result.join().outcome() == Decision.Outcome.QUEUE_FULL) {
            return CompletableFuture.completedFuture(queueFull(permits));
        }
        return result;
    }

    private Decision queueFull(long permits) {
        LimiterSnapshot state = limiter.snapshot();
        long retry = permits > state.spec().limit() ? Decision.NEVER : state.nanosUntilReset();
        return new Decision(Decision.Outcome.QUEUE_FULL, 0, retry, state.nanosUntilReset());
    }

    @Override
    public boolean tryAcquire(long permits) {
        return queue.waiting(KEY) == 0 && limiter.tryAcquire(permits);
    }

    @Override
    public Decision decide(long permits) {
        if (queue.waiting(KEY) != 0) {
            Require.atLeast("permits", permits, 1);
            return queueFull(permits).withOutcome(Decision.Outcome.DENIED);
        }
        return limiter.decide(permits);
    }

    @Override
    public void release(long permits) {
        limiter.release(permits);
        queue.permitsReturned(KEY);
    }

    @Override
    public int waiting() {
        return queue.waiting(KEY);
    }

    @Override
    public LimitSpec spec() {
        return limiter.spec();
    }

    @Override
    public LimiterSnapshot snapshot() {
        return limiter.snapshot().withWaiting(queue.waiting(KEY));
    }

    @Override
    public long reclaimableAtNanos() {
        return queue.waiting(KEY) != 0 ? Long.MAX_VALUE : limiter.reclaimableAtNanos();
    }

    @Override
    public void close() {
        queue.close();
    }

    /** The port the queue asks: {@code limiter} for every key, answering at once, keeping no leases. */
    private record OneLimiter(RateLimiter limiter) implements KeyedRateLimiter {
        @Override
        public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
            return CompletableFuture.completedFuture(limiter.decide(permits));
        }

        @Override
        public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
            limiter.release(permits);
            return DONE;
        }

        @Override
        public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
            return CompletableFuture.completedFuture(Optional.of(limiter.snapshot()));
        }
    }
}
