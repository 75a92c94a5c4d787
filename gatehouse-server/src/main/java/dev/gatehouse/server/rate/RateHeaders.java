package dev.gatehouse.server.rate;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.http.RateLimitHeaders;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RateVerdict;
import io.vertx.core.MultiMap;

/** The rate-limit headers of a rate-service verdict ({@link RateLimitHeaders}), with its key's limits. */
final class RateHeaders {

    private RateHeaders() {}

    static void write(MultiMap headers, RateVerdict verdict) {
        RateLimits limits = verdict.limits();
        long windowSeconds = limits.algorithm() == Algorithm.CONCURRENCY ? 0 : windowSeconds(limits);
        RateLimitHeaders.write(
                headers,
                limits.algorithm().configName(),
                limits.maxRequests(),
                windowSeconds,
                verdict.decision(),
                verdict.allowed() ? 0 : retryAfterSeconds(verdict));
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
