package dev.gatehouse.rate;

import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limits callers set for their keys with {@code ?maxRequests=} and {@code ?maxRequestsInQueue=},
 * on top of the policy's. An override sticks to its key until the key has been idle for {@link
 * RateService#IDLE_WINDOWS} windows past the window of its last use, as the store's eviction does,
 * or until the policy is replaced. At most {@code maxKeys} keys keep one: past the bound, a new
 * key's override applies to its own call and is not kept.
 */
final class ClientOverrides {

    private record Override(RateLimits limits, AtomicLong lastUsedNanos) {
        boolean expired(long nowNanos) {
            return nowNanos - lastUsedNanos.get() > (RateService.IDLE_WINDOWS + 1) * limits.windowNanos();
        }
    }

    private final ConcurrentHashMap<String, Override> overrides = new ConcurrentHashMap<>();
    private final IdleSweep<Override> sweep = new IdleSweep<>(overrides);
    private final int maxKeys;

    ClientOverrides(int maxKeys) {
        this.maxKeys = maxKeys;
    }

    /**
     * The limits of {@code key} at {@code nowNanos}: {@code base} (the policy's) unless an override is
     * kept, with {@code maxRequests} and {@code maxInQueue} applied and kept when given.
     */
    RateLimits limitsFor(String key, RateLimits base, OptionalInt maxRequests, OptionalInt maxInQueue, long nowNanos) {
        Override existing = overrides.get(key);
        if (existing != null && existing.expired(nowNanos)) {
            overrides.remove(key, existing);
            existing = null;
        }
        if (maxRequests.isEmpty() && maxInQueue.isEmpty()) {
            if (existing == null) {
                return base;
            }
            existing.lastUsedNanos().set(nowNanos);
            return existing.limits();
        }
        RateLimits limits = existing == null ? base : existing.limits();
        if (maxRequests.isPresent()) {
            limits = limits.withMaxRequests(maxRequests.getAsInt());
        }
        if (maxInQueue.isPresent()) {
            limits = limits.withMaxRequestsInQueue(maxInQueue.getAsInt());
        }
        if (existing == null || !existing.limits().equals(limits)) {
            if (existing != null || overrides.size() < maxKeys) {
                Override fresh = new Override(limits, new AtomicLong(nowNanos));
                overrides.put(key, fresh);
                sweep.added(key, fresh);
            } // beyond the bound an override applies to its own call only: memory stays bounded
        } else {
            existing.lastUsedNanos().set(nowNanos);
        }
        return limits;
    }

    /** Drops {@code key}'s override if it is {@code limits} (limits the store turned out unable to keep). */
    void forget(String key, RateLimits limits) {
        overrides.computeIfPresent(key, (ignored, override) -> override.limits().equals(limits) ? null : override);
    }

    /** Drops every override (the policy was replaced). */
    void clear() {
        overrides.clear();
    }

    /** Forgets expired overrides, looking at up to {@code maxEntries} of them. */
    void sweep(int maxEntries, long nowNanos) {
        sweep.step(maxEntries, override -> override.expired(nowNanos));
    }

    /** How many keys keep an override. */
    int size() {
        return overrides.size();
    }
}
