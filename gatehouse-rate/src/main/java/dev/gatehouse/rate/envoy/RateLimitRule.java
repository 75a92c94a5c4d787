package dev.gatehouse.rate.envoy;

import java.util.Optional;
import java.util.Set;

/**
 * A limit a descriptor matched: from the configuration, or set by the request.
 *
 * @param requestsPerUnit requests allowed per window (an unsigned 32-bit number)
 * @param unit the window (unused when unlimited)
 * @param name the limit's name, by which another limit may replace it
 * @param unlimited whether the descriptor is never limited
 * @param shadowMode whether going over is reported but never refused
 * @param replaces the names of the limits this one replaces when both match a request
 */
public record RateLimitRule(
        long requestsPerUnit,
        Unit unit,
        Optional<String> name,
        boolean unlimited,
        boolean shadowMode,
        Set<String> replaces) {

    public RateLimitRule {
        replaces = Set.copyOf(replaces);
    }

    /** The limit a request sets for one of its descriptors. */
    static RateLimitRule override(Descriptor.LimitOverride limit) {
        return new RateLimitRule(limit.requestsPerUnit(), limit.unit(), Optional.empty(), false, false, Set.of());
    }
}
