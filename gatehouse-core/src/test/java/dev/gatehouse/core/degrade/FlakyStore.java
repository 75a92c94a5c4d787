package dev.gatehouse.core.degrade;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** A shared store stand-in: in-memory limits that stop answering while {@link #down} is set. */
final class FlakyStore implements KeyedRateLimiter {

    private final KeyedRateLimiter limits;
    volatile boolean down;
    int calls;

    FlakyStore(KeyedRateLimiter limits) {
        this.limits = limits;
    }

    /** A probe for StoreHealth: throws while the store is down. */
    void probe() {
        if (down) {
            throw new IllegalStateException("store down");
        }
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return answer(() -> limits.decide(key, spec, permits));
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        return answer(() -> limits.release(key, spec, permits, lease));
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return answer(() -> limits.snapshot(key, spec));
    }

    private <T> CompletionStage<T> answer(Supplier<CompletionStage<T>> call) {
        calls++;
        return down
                ? CompletableFuture.failedFuture(
                        new LimiterUnavailableException("store down", new IllegalStateException()))
                : call.get();
    }
}
