package dev.gatehouse.rate.envoy;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One descriptor of a request: its entries in order, a limit the caller sets in place of the
 * configured one, and the hits it counts in place of the request's.
 *
 * @param entries the entries, at least one
 * @param override the limit the request sets for this descriptor (the configuration is not consulted)
 * @param hitsAddend the hits this descriptor adds (0: check only); empty: the request's
 */
public record Descriptor(List<Entry> entries, Optional<LimitOverride> override, OptionalLong hitsAddend) {

    public Descriptor {
        entries = List.copyOf(entries);
    }

    /**
     * One entry: a key and its value (possibly empty).
     *
     * @param key the key, not empty
     * @param value the value
     */
    public record Entry(String key, String value) {}

    /**
     * A limit set by the request.
     *
     * @param requestsPerUnit requests allowed per window
     * @param unit the window
     */
    public record LimitOverride(long requestsPerUnit, Unit unit) {}
}
