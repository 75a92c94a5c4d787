package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import java.util.concurrent.CompletionStage;

/** One key of a {@link KeyedRateLimiter} as a {@link RateLimiter} that waits for each answer. */
final class BlockingRateLimiter implements RateLimiter {

    private final KeyedRateLimiter limiters;
    private final String key;
    private final LimitSpec spec;

    BlockingRateLimiter(KeyedRateLimiter limiters, String key, LimitSpec spec) {
        this.limiters = limiters;
        this.key = Require.given("key", key, "a key");
        this.spec = Require.given("spec", spec, "a limit spec");
    }

    @Override
    public boolean tryAcquire(long permits) {
        return decide(permits).allowed();
    }

    @Override
    public Decision decide(long permits) {
        return await(limiters.decide(key, spec, permits));
    }

    @Override
    public void release(long permits) {
        await(limiters.release(key, spec, permits));
    }

    @Override
    public LimitSpec spec() {
        return spec;
    }

    @Override
    public LimiterSnapshot snapshot() {
        return await(limiters.snapshot(key, spec)).orElseGet(() -> new LimiterSnapshot(spec, spec.limit(), 0, 0, 0));
    }

    @Override
    public long reclaimableAtNanos() {
        return Long.MIN_VALUE;
    }

    private static <T> T await(CompletionStage<T> stage) {
        return Failures.join(stage);
    }
}
