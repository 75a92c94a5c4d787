package dev.gatehouse.core.limit;

import java.util.Optional;

/**
 * Grants permits up to a limit. Implementations are thread-safe. The in-process ones, created from a
 * {@link LimitSpec}, never block and never allocate; a view of one key of a shared store ({@link
 * dev.gatehouse.core.keyed.KeyedRateLimiter#limiter}) waits for its round trip.
 */
public interface RateLimiter {

    /** Takes {@code permits} if they are available now. */
    boolean tryAcquire(long permits);

    /** Takes one permit if it is available now. */
    default boolean tryAcquire() {
        return tryAcquire(1);
    }

    /** Takes {@code permits} if they are available now, and describes the outcome. */
    Decision decide(long permits);

    /**
     * Gives back permits taken earlier: a fixed or sliding window frees slots of its current
     * window, a token bucket refunds tokens up to its capacity, a concurrency limiter ends work in
     * flight. Never gives back more than is in use.
     */
    void release(long permits);

    /** Takes {@code permits} if available, as a handle that gives them back once. */
    default Optional<Permit> tryAcquirePermit(long permits) {
        return tryAcquire(permits) ? Optional.of(new Permit(this, permits)) : Optional.empty();
    }

    /** The configuration this limiter enforces. */
    LimitSpec spec();

    /** The current state. */
    LimiterSnapshot snapshot();

    /**
     * The clock reading from which this limiter is indistinguishable from a fresh one, so that
     * discarding it loses nothing; {@link Long#MAX_VALUE} while it holds waiters or work in flight.
     * Keyed registries evict by it.
     */
    long reclaimableAtNanos();
}
