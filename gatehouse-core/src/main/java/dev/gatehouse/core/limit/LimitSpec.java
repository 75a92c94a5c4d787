package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;

/**
 * An immutable, validated limiter configuration. Equal specs make equivalent limiters, which is how
 * keyed registries keep the state of keys whose configuration did not change on a reload.
 */
public sealed interface LimitSpec permits TokenBucketSpec, WindowSpec, ConcurrencySpec {

    /**
     * The windows a key may stay idle before it is forgotten, as in gocc: a key is kept for this many
     * of its windows (a token bucket: of its refills from empty) after it is back to a fresh state.
     */
    int IDLE_WINDOWS = 3;

    /** The most permits that can be granted at once: burst, per-window maximum, or in-flight maximum. */
    long limit();

    /** A short lowercase name of the algorithm, as used in configuration files. */
    String algorithm();

    /**
     * How long a key whose limiter is back to a fresh limiter's state (see {@link
     * RateLimiter#reclaimableAtNanos()}) is still kept before it is forgotten; saturates at {@link
     * Long#MAX_VALUE}. It matters to windows: a key that is kept keeps its windows' start (windows
     * start at a key's first request), a forgotten one starts them again at its next request.
     * Registries and shared stores keep keys this long, so that every store forgets a key alike.
     */
    long idleNanos();

    /** A new limiter in its initial state (full, or with an empty window), reading {@code clock}. */
    RateLimiter newLimiter(NanoClock clock);

    /**
     * A new limiter for this spec that takes over {@code previous}'s use, for a key whose spec
     * changed: permits in flight stay in flight, a window keeps its count (and its start, when the
     * window length is unchanged), a bucket keeps its missing tokens (at most its new capacity). A
     * limiter of another algorithm starts fresh, as a shared store keeps each algorithm's state
     * apart. {@code previous} must not change meanwhile.
     */
    RateLimiter newLimiter(NanoClock clock, RateLimiter previous);

    /** A token bucket holding up to {@code capacity} permits, refilled by {@code refillPermits} every {@code refillPeriod}. */
    static TokenBucketSpec tokenBucket(long capacity, long refillPermits, Duration refillPeriod) {
        return new TokenBucketSpec(capacity, refillPermits, Require.nanosAtLeast("refillPeriod", refillPeriod, 1));
    }

    /** Fixed windows of {@code window}, each granting at most {@code maxPerWindow} permits. */
    static FixedWindowSpec fixedWindow(long maxPerWindow, Duration window) {
        return new FixedWindowSpec(maxPerWindow, Require.nanosAtLeast("window", window, 1));
    }

    /** A sliding window of {@code window} granting at most {@code maxPerWindow} permits. */
    static SlidingWindowSpec slidingWindow(long maxPerWindow, Duration window) {
        return new SlidingWindowSpec(maxPerWindow, Require.nanosAtLeast("window", window, 1));
    }

    /** At most {@code maxInFlight} permits held at once. */
    static ConcurrencySpec concurrency(long maxInFlight) {
        return new ConcurrencySpec(maxInFlight);
    }
}
