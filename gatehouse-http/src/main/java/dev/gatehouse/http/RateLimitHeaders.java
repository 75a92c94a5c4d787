package dev.gatehouse.http;

import dev.gatehouse.core.limit.Decision;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

/**
 * The {@code RateLimit} and {@code RateLimit-Policy} headers of the IETF httpapi draft (structured
 * fields: {@code "fixed_window";q=100;w=1} and {@code "fixed_window";r=99;t=1}), and {@code
 * Retry-After} on refusals, for every surface that limits. Seconds are rounded up, so a client that
 * waits them is never early.
 */
public final class RateLimitHeaders {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    // names made once: Vert.x checks a name given as a plain String on every set
    private static final CharSequence RATE_LIMIT_POLICY = HttpHeaders.createOptimized("RateLimit-Policy");
    private static final CharSequence RATE_LIMIT = HttpHeaders.createOptimized("RateLimit");
    private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");

    private RateLimitHeaders() {}

    /**
     * Sets the headers for {@code decision} of a policy named {@code policyName} allowing {@code
     * quota} per {@code windowSeconds} (0: no window, as for a concurrency limit), and {@code
     * Retry-After} when {@code retryAfterSeconds} is above 0 (a refusal).
     */
    public static void write(
            MultiMap headers,
            String policyName,
            long quota,
            long windowSeconds,
            Decision decision,
            long retryAfterSeconds) {
        String name = "\"" + policyName + "\"";
        String policy = name + ";q=" + quota;
        if (windowSeconds > 0) {
            policy += ";w=" + windowSeconds;
        }
        headers.set(RATE_LIMIT_POLICY, policy);
        String state = name + ";r=" + decision.remaining();
        if (decision.nanosUntilReset() != Decision.NEVER) {
            state += ";t=" + ceilSeconds(decision.nanosUntilReset());
        }
        headers.set(RATE_LIMIT, state);
        if (retryAfterSeconds > 0) {
            headers.set(RETRY_AFTER, Long.toString(retryAfterSeconds));
        }
    }

    /** {@code nanos} in whole seconds, rounded up. */
    public static long ceilSeconds(long nanos) {
        return nanos / NANOS_PER_SECOND + (nanos % NANOS_PER_SECOND == 0 ? 0 : 1);
    }
}
