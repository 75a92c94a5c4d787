package dev.gatehouse.core.keyed;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@link KeyedRateLimiter} over a registry in this process; every stage is complete on return. */
final class MemoryKeyedRateLimiter implements KeyedRateLimiter {

    private final KeyedLimiters<LimitSpec, RateLimiter> limiters;

    MemoryKeyedRateLimiter(KeyedLimiters<LimitSpec, RateLimiter> limiters) {
        this.limiters = limiters;
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return CompletableFuture.completedFuture(limiters.limiter(key, spec).decide(permits));
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits) {
        limiters.find(key).ifPresent(limiter -> limiter.release(permits));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return CompletableFuture.completedFuture(limiters.snapshot(key));
    }
}
