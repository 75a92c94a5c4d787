package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;

/**
 * At most {@code maxInFlight} permits held at once; the caller releases them when its work ends.
 *
 * @param maxInFlight at least 1
 */
public record ConcurrencySpec(long maxInFlight) implements LimitSpec {

    public ConcurrencySpec {
        Require.atLeast("maxInFlight", maxInFlight, 1);
    }

    @Override
    public long limit() {
        return maxInFlight;
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
