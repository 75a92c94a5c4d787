package dev.gatehouse.rate;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.LimitSpec;

/**
 * The limits in force for one key: the per-window maximum, the queue size, the window and the
 * algorithm, with the limiter spec they make.
 */
public record RateLimits(
        int maxRequests, int maxRequestsInQueue, long windowMillis, Algorithm algorithm, LimitSpec spec) {

    /** The largest per-window maximum and queue size, as in gocc. */
    public static final int MAX_LIMIT = 1_000_000_000;

    public RateLimits {
        Require.inRange("maxRequests", maxRequests, 1, MAX_LIMIT);
        Require.inRange("maxRequestsInQueue", maxRequestsInQueue, 0, MAX_LIMIT);
        Require.atLeast("windowMillis", windowMillis, 1);
        Require.given("algorithm", algorithm, "an algorithm");
        Require.given("spec", spec, "a spec");
    }

    /** Limits of {@code maxRequests} per {@code windowMillis} with {@code algorithm}. */
    public static RateLimits of(int maxRequests, int maxRequestsInQueue, long windowMillis, Algorithm algorithm) {
        return new RateLimits(
                maxRequests, maxRequestsInQueue, windowMillis, algorithm, algorithm.spec(maxRequests, windowMillis));
    }

    /** These limits with another per-window maximum. */
    public RateLimits withMaxRequests(int newMaxRequests) {
        return newMaxRequests == maxRequests ? this : of(newMaxRequests, maxRequestsInQueue, windowMillis, algorithm);
    }

    /** These limits with another queue size. */
    public RateLimits withMaxRequestsInQueue(int newMaxRequestsInQueue) {
        return newMaxRequestsInQueue == maxRequestsInQueue
                ? this
                : new RateLimits(maxRequests, newMaxRequestsInQueue, windowMillis, algorithm, spec);
    }

    /** The window in nanoseconds. */
    public long windowNanos() {
        return windowMillis * 1_000_000L;
    }
}
