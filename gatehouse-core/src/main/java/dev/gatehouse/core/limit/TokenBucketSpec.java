package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;

/**
 * A token bucket: up to {@code capacity} permits at once (the burst), refilled continuously at
 * {@code refillPermits} per {@code refillPeriodNanos}. Burst and rate are independent: 100/s with a
 * burst of 10, or 1/min with a burst of 100.
 *
 * <p>The rate is kept as an exact fraction in lowest terms, so "10 per second" and "10,000 per 1,000
 * seconds" are the same spec. It may not exceed one permit per nanosecond, and {@code capacity ×
 * refillPeriodNanos} (in lowest terms) may not exceed {@link #MAX_CAPACITY_PERIOD_PRODUCT}: the bucket
 * must be able to refill within that many nanoseconds times the permits of one period, which allows
 * for instance a burst of 2.3 × 10<sup>18</sup> at 10<sup>9</sup>/s, or a bucket of any size up to
 * 73 years of refill at a whole number of permits per period.
 *
 * @param capacity the burst, at least 1
 * @param refillPermits permits added per period, in lowest terms with the period
 * @param refillPeriodNanos the period, in lowest terms with the permits
 */
public record TokenBucketSpec(long capacity, long refillPermits, long refillPeriodNanos) implements LimitSpec {

    /** The largest {@code capacity × refillPeriodNanos}, 2<sup>61</sup>. */
    public static final long MAX_CAPACITY_PERIOD_PRODUCT = 1L << 61;

    public TokenBucketSpec {
        Require.atLeast("capacity", capacity, 1);
        Require.atLeast("refillPermits", refillPermits, 1);
        Require.atLeast("refillPeriodNanos", refillPeriodNanos, 1);
        if (refillPermits > refillPeriodNanos) {
            throw new IllegalArgumentException("refill: " + refillPermits + " per " + refillPeriodNanos
                    + " ns (expected: at most one permit per nanosecond)");
        }
        long divisor = greatestCommonDivisor(refillPermits, refillPeriodNanos);
        refillPermits /= divisor;
        refillPeriodNanos /= divisor;
        long maxCapacity = MAX_CAPACITY_PERIOD_PRODUCT / refillPeriodNanos;
        if (capacity > maxCapacity) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: <= " + maxCapacity
                    + " at a refill of " + refillPermits + " per " + refillPeriodNanos + " ns)");
        }
    }

    @Override
    public long limit() {
        return capacity;
    }

    /**
     * {@link LimitSpec#IDLE_WINDOWS} times the time to refill from empty ({@code capacity × refillPeriodNanos /
     * refillPermits}, at most 3 × 2<sup>61</sup> ns by the bound on the product, so it cannot overflow).
     */
    @Override
    public long idleNanos() {
        return IDLE_WINDOWS * (capacity * refillPeriodNanos / refillPermits);
    }

    @Override
    public String algorithm() {
        return "token_bucket";
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock) {
        return new TokenBucketLimiter(this, clock);
    }

    @Override
    public RateLimiter newLimiter(NanoClock clock, RateLimiter previous) {
        return previous instanceof TokenBucketLimiter same
                ? new TokenBucketLimiter(this, clock, same)
                : newLimiter(clock);
    }

    private static long greatestCommonDivisor(long a, long b) {
        while (b != 0) {
            long rest = a % b;
            a = b;
            b = rest;
        }
        return a;
    }
}
