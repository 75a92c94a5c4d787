package dev.gatehouse.core.keyed;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link KeyedRateLimiter} over a registry in this process; every stage is complete on return. It
 * keeps no leases: decisions carry {@link Decision#NO_LEASE} and releases go by count.
 */
final class MemoryKeyedRateLimiter implements KeyedRateLimiter {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final LimiterRegistry<LimitSpec, RateLimiter> limiters;

    MemoryKeyedRateLimiter(LimiterRegistry<LimitSpec, RateLimiter> limiters) {
        this.limiters = limiters;
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        try (LimiterRegistry.Held<RateLimiter> held = limiters.hold(key, spec)) {
            return CompletableFuture.completedFuture(
                    held == null ? Decision.tooManyKeys() : held.limiter().decide(permits));
        }
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        try (LimiterRegistry.Held<RateLimiter> held = limiters.holdExisting(key)) {
            if (held != null) {
                held.limiter().release(permits);
            }
        }
        return DONE;
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return CompletableFuture.completedFuture(limiters.snapshot(key));
    }
}
