package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;

/**
 * At most {@code maxInFlight} permits held at once; the caller releases them when its work ends.
 *
 * @param maxInFlight at least 1
 */
public record ConcurrencySpec(long maxInFlight) implements LimitSpec {

    /**
     * How long a concurrency key stays once nothing is in flight: one second. It has no window; and
     * it must be more than zero, or a key created for a call could be forgotten before that call
     * takes its permit.
     */
    public static final long IDLE_NANOS = 1_000_000_000L;

    public ConcurrencySpec {
        Require.atLeast("maxInFlight", maxInFlight, 1);
    }

    @Override
    public long limit() {
        return maxInFlight;
    }

    /** {@link #IDLE_NANOS}, whatever the limit. */
    @Override
    public long idleNanos() {
        return IDLE_NANOS;
    }

    @Override
    public String algorithm() {
        return "concurrency";
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock) {
        return new ConcurrencyLimiter(this, clock);
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock, RateLimiter previous) {
        return previous instanceof ConcurrencyLimiter same
                ? new ConcurrencyLimiter(this, clock, same)
                : newLimiter(clock);
    }
}
