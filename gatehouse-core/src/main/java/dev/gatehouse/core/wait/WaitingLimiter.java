package dev.gatehouse.core.wait;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.Scheduler;
import java.util.concurrent.CompletableFuture;

/**
 * A limiter with a bounded first-in, first-out queue of waiters in front of it. A request that
 * cannot be granted now may wait; waiters are granted in arrival order as capacity returns (a window
 * rolls, tokens refill, permits are released), and no thread waits for them.
 *
 * <p>Requests that do not wait ({@link #tryAcquire(long)}, {@link #decide(long)}) never overtake
 * waiters: while anyone waits, they are denied.
 */
public interface WaitingLimiter extends RateLimiter {

    /**
     * Asks for {@code permits}, waiting up to {@code timeoutNanos} ({@code Long.MAX_VALUE}: no limit)
     * when they are not available now. The future completes with an {@link Decision.Outcome#ALLOWED}
     * decision once they are granted, or with {@link Decision.Outcome#QUEUE_FULL}, {@link
     * Decision.Outcome#TIMED_OUT} or {@link Decision.Outcome#CLOSED}. Cancelling the future (the
     * client went away) leaves the queue; if the permits were granted at that same moment they are
     * released again.
     */
    CompletableFuture<Decision> acquire(long permits, long timeoutNanos);

    /** Requests waiting now. */
    int waiting();

    /** Completes every waiter with {@link Decision.Outcome#CLOSED} and refuses new ones from then on. */
    void close();

    /**
     * A wait queue of at most {@code maxWaiters} in front of {@code limiter}: one line of a {@link
     * dev.gatehouse.core.wait.WaitQueue}. {@code scheduler} wakes the queue when capacity is due back
     * and times waiters out; it must not run a task inside {@link Scheduler#schedule} itself.
     */
    static WaitingLimiter create(RateLimiter limiter, int maxWaiters, Scheduler scheduler) {
        Require.atLeast("maxWaiters", maxWaiters, 0);
        return new FifoWaitingLimiter(limiter, maxWaiters, scheduler);
    }
}
