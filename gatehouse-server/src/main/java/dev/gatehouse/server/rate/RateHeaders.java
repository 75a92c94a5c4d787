package dev.gatehouse.server.rate;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.http.RateLimitHeaders;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RateVerdict;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import org.jspecify.annotations.Nullable;

/**
 * The rate-limit headers of a rate-service verdict ({@link RateLimitHeaders}), with its key's limits.
 * A key's {@code RateLimit-Policy} is the same on every answer until its limits change: the value of
 * the limits last written is kept, made once, for the next answer with the same limits (most keys
 * share the default limits, one object).
 */
final class RateHeaders {

    private record Policy(RateLimits limits, CharSequence value) {}

    // the limits last written and their policy value; a race only makes one value twice
    private static volatile @Nullable Policy last;

    private RateHeaders() {}

    static void write(MultiMap headers, RateVerdict verdict) {
        RateLimits limits = verdict.limits();
        RateLimitHeaders.write(
                headers,
                policy(limits),
                limits.algorithm().configName(),
                verdict.decision(),
                verdict.allowed() ? 0 : retryAfterSeconds(verdict));
    }

    @SuppressWarnings("ReferenceEquality") // the same object, on purpose: the check must cost less than the value
    private static CharSequence policy(RateLimits limits) {
        Policy held = last;
        if (held != null && held.limits() == limits) {
            return held.value();
        }
        long windowSeconds = limits.algorithm() == Algorithm.CONCURRENCY ? 0 : windowSeconds(limits);
        CharSequence value = HttpHeaders.createOptimized(
                RateLimitFields.policy(limits.algorithm().configName(), limits.maxRequests(), windowSeconds));
        last = new Policy(limits, value);
        return value;
    }

    /**
     * The seconds a refused call is told to wait: its retry time rounded up; when waiting alone cannot
     * tell (a concurrency key, a full store), one window, the time a fixed window takes to roll.
     */
    static long retryAfterSeconds(RateVerdict verdict) {
        long retry = verdict.decision().nanosUntilRetry();
        return retry == Decision.NEVER
                ? windowSeconds(verdict.limits())
                : Math.max(1, RateLimitFields.ceilSeconds(retry));
    }

    private static long windowSeconds(RateLimits limits) {
        return Math.max(1, (limits.windowMillis() + 999) / 1000);
    }
}
