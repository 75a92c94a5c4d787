package dev.gatehouse.rate;

import dev.gatehouse.core.keyed.IdleKeyMap;
import dev.gatehouse.core.time.NanoClock;
import java.util.OptionalInt;

/**
 * The limits callers set for their keys with {@code ?maxRequests=} and {@code ?maxRequestsInQueue=},
 * on top of the policy's. An override sticks to its key until the key has been idle for its spec's
 * idle time ({@link dev.gatehouse.core.limit.LimitSpec#idleNanos()}: 3 windows) past the window of
 * its last use, so never before the store forgets the key, or until the policy is replaced. At most
 * {@code maxKeys} keys keep one: past the bound, a new key's override applies to its own call and is
 * not kept.
 */
final class ClientOverrides {

    /** A key's override: its limits and its last use, updated in place. */
    private static final class ClientOverride extends IdleKeyMap.LastUse {
        final RateLimits limits;

        ClientOverride(String key, RateLimits limits, long lastUsedNanos) {
            super(key, lastUsedNanos);
            this.limits = limits;
        }

        /** The window of its last use, then the spec's idle time (saturating). */
        @Override
        protected long idleNanos() {
            long idle = limits.spec().idleNanos();
            return idle > Long.MAX_VALUE - limits.windowNanos() ? Long.MAX_VALUE : limits.windowNanos() + idle;
        }
    }

    private final IdleKeyMap<ClientOverride> overrides;

    ClientOverrides(NanoClock clock, int maxKeys) {
        this.overrides = IdleKeyMap.<ClientOverride>builder()
                .clock(clock)
                .maximumKeys(maxKeys)
                .whenFull(IdleKeyMap.WhenFull.REFUSE)
                .build();
    }

    /**
     * The limits of {@code key} at {@code nowNanos}: {@code base} (the policy's) unless an override is
     * kept, with {@code maxRequests} and {@code maxInQueue} applied and kept when given.
     */
    RateLimits limitsFor(String key, RateLimits base, OptionalInt maxRequests, OptionalInt maxInQueue, long nowNanos) {
        ClientOverride existing = overrides.get(key);
        if (existing != null && overrides.isExpired(existing, nowNanos)) {
            overrides.remove(existing);
            existing = null;
        }
        if (maxRequests.isEmpty() && maxInQueue.isEmpty()) {
            if (existing == null) {
                return base;
            }
            existing.used(nowNanos);
            return existing.limits;
        }
        RateLimits limits = existing == null ? base : existing.limits;
        if (maxRequests.isPresent()) {
            limits = limits.withMaxRequests(maxRequests.getAsInt());
        }
        if (maxInQueue.isPresent()) {
            limits = limits.withMaxRequestsInQueue(maxInQueue.getAsInt());
        }
        if (existing == null || !existing.limits.equals(limits)) {
            // refused beyond the bound: the override applies to its own call only, memory stays bounded
            overrides.put(new ClientOverride(key, limits, nowNanos));
        } else {
            existing.used(nowNanos);
        }
        return limits;
    }

    /** Drops {@code key}'s override if it is {@code limits} (limits the store turned out unable to keep). */
    void forget(String key, RateLimits limits) {
        ClientOverride override = overrides.get(key);
        if (override != null && override.limits.equals(limits)) {
            overrides.remove(override);
        }
    }

    /** Drops every override (the policy was replaced). */
    void clear() {
        overrides.clear();
    }

    /** Forgets expired overrides, looking at up to {@code maxEntries} of them. */
    void sweep(int maxEntries) {
        overrides.sweep(maxEntries);
    }

    /** How many keys keep an override. */
    int size() {
        return overrides.size();
    }
}
