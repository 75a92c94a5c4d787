package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;

/**
 * A sliding window of {@code windowNanos} granting at most {@code maxPerWindow} permits, estimated
 * from two fixed windows: the previous window's count weighted by how much of it still overlaps the
 * sliding window, plus the current window's count.
 *
 * @param maxPerWindow at least 1
 * @param windowNanos at least one millisecond
 */
public record SlidingWindowSpec(long maxPerWindow, long windowNanos) implements WindowSpec {

    public SlidingWindowSpec {
        Require.atLeast("maxPerWindow", maxPerWindow, 1);
        Require.atLeast("windowNanos", windowNanos, FixedWindowSpec.MIN_WINDOW_NANOS);
    }

    @Override
    public String algorithm() {
        return "sliding_window";
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock) {
        return new SlidingWindowLimiter(this, clock);
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock, RateLimiter previous) {
        return previous instanceof SlidingWindowLimiter same
                ? new SlidingWindowLimiter(this, clock, same)
                : newLimiter(clock);
    }
}
