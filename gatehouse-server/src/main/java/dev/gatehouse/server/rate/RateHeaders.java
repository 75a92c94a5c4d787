package dev.gatehouse.server.rate;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RateVerdict;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

/**
 * The {@code RateLimit} and {@code RateLimit-Policy} headers of the IETF httpapi draft (structured
 * fields: {@code "fixed_window";q=100;w=1} and {@code "fixed_window";r=99;t=1}), and {@code
 * Retry-After} on refusals. Seconds are rounded up, so a client that waits them is never early.
 */
final class RateHeaders {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    // names made once: Vert.x checks a name given as a plain String on every set
    private static final CharSequence RATE_LIMIT_POLICY = HttpHeaders.createOptimized("RateLimit-Policy");
    private static final CharSequence RATE_LIMIT = HttpHeaders.createOptimized("RateLimit");
    private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");

    private RateHeaders() {}

    static void write(MultiMap headers, RateVerdict verdict) {
        RateLimits limits = verdict.limits();
        Decision decision = verdict.decision();
        String name = "\"" + limits.algorithm().configName() + "\"";
        long windowSeconds = Math.max(1, (limits.windowMillis() + 999) / 1000);
        String policy = name + ";q=" + limits.maxRequests();
        if (limits.algorithm() != Algorithm.CONCURRENCY) {
            policy += ";w=" + windowSeconds;
        }
        headers.set(RATE_LIMIT_POLICY, policy);
        String state = name + ";r=" + decision.remaining();
        if (decision.nanosUntilReset() != Decision.NEVER) {
            state += ";t=" + ceilSeconds(decision.nanosUntilReset());
        }
        headers.set(RATE_LIMIT, state);
        if (!verdict.allowed()) {
            headers.set(RETRY_AFTER, Long.toString(retryAfterSeconds(verdict)));
        }
    }

    /**
     * The seconds a refused call is told to wait: its retry time rounded up; when waiting alone cannot
     * tell (a concurrency key, a full store), one window, the time a fixed window takes to roll.
     */
    static long retryAfterSeconds(RateVerdict verdict) {
        long retry = verdict.decision().nanosUntilRetry();
        return retry == Decision.NEVER
                ? Math.max(1, (verdict.limits().windowMillis() + 999) / 1000)
                : Math.max(1, ceilSeconds(retry));
    }

    private static long ceilSeconds(long nanos) {
        return nanos / NANOS_PER_SECOND + (nanos % NANOS_PER_SECOND == 0 ? 0 : 1);
    }
}
