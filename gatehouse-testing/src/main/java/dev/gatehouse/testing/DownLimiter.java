package dev.gatehouse.testing;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A keyed limiter whose store is down: every call fails with {@link LimiterUnavailableException}. */
public final class DownLimiter implements KeyedRateLimiter {

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return down();
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        return down();
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return down();
    }

    private static <T> CompletionStage<T> down() {
        return CompletableFuture.failedFuture(new LimiterUnavailableException("down", null));
    }
}
