package dev.gatehouse.http;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

/**
 * Sets the {@code RateLimit}, {@code RateLimit-Policy} and {@code Retry-After} headers ({@link
 * RateLimitFields}) on a Vert.x answer, for every surface that limits.
 */
public final class RateLimitHeaders {

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
        write(
                headers,
                RateLimitFields.policy(policyName, quota, windowSeconds),
                policyName,
                decision,
                retryAfterSeconds);
    }

    /**
     * As {@link #write(MultiMap, String, long, long, Decision, long)}, with the {@code RateLimit-Policy}
     * value made already (once per policy, by a caller that answers many requests under it).
     */
    public static void write(
            MultiMap headers, CharSequence policy, String policyName, Decision decision, long retryAfterSeconds) {
        headers.set(RATE_LIMIT_POLICY, policy);
        headers.set(RATE_LIMIT, RateLimitFields.state(policyName, decision));
        if (retryAfterSeconds > 0) {
            headers.set(RETRY_AFTER, Long.toString(retryAfterSeconds));
        }
    }
}
