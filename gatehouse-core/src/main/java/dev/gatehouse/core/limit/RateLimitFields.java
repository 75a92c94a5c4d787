package dev.gatehouse.core.limit;

import java.math.BigInteger;

/**
 * The values of the {@code RateLimit} and {@code RateLimit-Policy} headers of the IETF httpapi draft
 * (structured fields: {@code "fixed_window";q=100;w=1} and {@code "fixed_window";r=99;t=1}) and of
 * {@code Retry-After}, for every server and middleware that limits. Seconds are rounded up, so a
 * client that waits them is never early.
 */
public final class RateLimitFields {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private RateLimitFields() {}

    /**
     * {@code RateLimit-Policy} of a policy named {@code name} allowing {@code quota} per {@code
     * windowSeconds} (0: no window, as for a concurrency limit).
     */
    public static String policy(String name, long quota, long windowSeconds) {
        String policy = "\"" + name + "\";q=" + quota;
        return windowSeconds > 0 ? policy + ";w=" + windowSeconds : policy;
    }

    /**
     * {@code RateLimit-Policy} of {@code spec} named {@code name}: its limit per its window (a token
     * bucket's: the time it takes to refill from empty; a concurrency limit has none).
     */
    public static String policy(String name, LimitSpec spec) {
        return policy(name, spec.limit(), windowSeconds(spec));
    }

    /** {@code RateLimit} after {@code decision} of the policy {@code name}: what remains, and when it is whole again. */
    public static String state(String name, Decision decision) {
        String state = "\"" + name + "\";r=" + decision.remaining();
        return decision.nanosUntilReset() == Decision.NEVER
                ? state
                : state + ";t=" + ceilSeconds(decision.nanosUntilReset());
    }

    /** {@code Retry-After} of a refusal: whole seconds, at least 1; 0 when the decision names no time. */
    public static long retryAfterSeconds(Decision decision) {
        long nanos = decision.nanosUntilRetry();
        return nanos == Decision.NEVER || nanos <= 0 ? 0 : Math.max(1, ceilSeconds(nanos));
    }

    /** {@code nanos} in whole seconds, rounded up. */
    public static long ceilSeconds(long nanos) {
        return nanos / NANOS_PER_SECOND + (nanos % NANOS_PER_SECOND == 0 ? 0 : 1);
    }

    /** The window of {@code spec} in whole seconds, rounded up; 0 for a concurrency limit. */
    public static long windowSeconds(LimitSpec spec) {
        return switch (spec) {
            case WindowSpec window -> ceilSeconds(window.windowNanos());
            case TokenBucketSpec bucket -> {
                // capacity / refillPermits periods, rounded up, without overflow
                BigInteger nanos = BigInteger.valueOf(bucket.capacity())
                        .multiply(BigInteger.valueOf(bucket.refillPeriodNanos()))
                        .add(BigInteger.valueOf(bucket.refillPermits() - 1))
                        .divide(BigInteger.valueOf(bucket.refillPermits()));
                yield ceilSeconds(nanos.min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact());
            }
            case ConcurrencySpec concurrency -> 0;
        };
    }
}
