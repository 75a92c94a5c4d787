package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;

/**
 * Fixed windows of {@code windowNanos}, the first starting when the limiter is created (for a keyed
 * limiter: at the key's first request), each granting at most {@code maxPerWindow} permits.
 *
 * @param maxPerWindow at most one billion
 * @param windowNanos at least one millisecond
 */
public record FixedWindowSpec(long maxPerWindow, long windowNanos) implements WindowSpec {

    /** The largest per-window maximum. */
    public static final long MAX_PER_WINDOW = 1_000_000_000L;

    /** The shortest window: one millisecond. */
    public static final long MIN_WINDOW_NANOS = 1_000_000L;

    public FixedWindowSpec {
        Require.inRange("maxPerWindow", maxPerWindow, 1, MAX_PER_WINDOW);
        Require.atLeast("windowNanos", windowNanos, MIN_WINDOW_NANOS);
    }

    @Override
    public String algorithm() {
        return "fixed_window";
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock) {
        return new FixedWindowLimiter(this, clock);
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock, RateLimiter previous) {
        return previous instanceof FixedWindowLimiter same
                ? new FixedWindowLimiter(this, clock, same)
                : newLimiter(clock);
    }
}
