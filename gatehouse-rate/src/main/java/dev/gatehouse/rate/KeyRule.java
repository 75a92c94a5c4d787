package dev.gatehouse.rate;

import dev.gatehouse.core.check.Require;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One entry of the key config file: the keys it matches (a literal key or a regular expression
 * searched for in the key) and the limits it sets; zero means "not set by this rule".
 */
public record KeyRule(
        String keyPattern,
        Optional<Pattern> regex,
        int maxRequestsPerWindow,
        int maxRequestsInQueue,
        long windowMillis,
        Optional<Algorithm> algorithm) {

    public KeyRule {
        Require.given("key_pattern", keyPattern, "a key or a regular expression");
        Require.given("regex", regex, "a pattern or empty");
        Require.given("algorithm", algorithm, "an algorithm or empty");
    }

    /** Whether this rule applies to {@code key}. */
    public boolean matches(String key) {
        return regex.map(p -> p.matcher(key).find()).orElseGet(() -> keyPattern.equals(key));
    }

    /** {@code limits} with the fields this rule sets replaced. */
    public RateLimits applyTo(RateLimits limits) {
        return RateLimits.of(
                maxRequestsPerWindow > 0 ? maxRequestsPerWindow : limits.maxRequests(),
                maxRequestsInQueue > 0 ? maxRequestsInQueue : limits.maxRequestsInQueue(),
                windowMillis > 0 ? windowMillis : limits.windowMillis(),
                algorithm.orElse(limits.algorithm()));
    }
}
