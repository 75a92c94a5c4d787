package dev.gatehouse.rate;

import dev.gatehouse.core.keyed.KeyedLimiters;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.FixedWindowSpec;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.limit.SlidingWindowSpec;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.core.time.NanoClock;
import java.util.function.Consumer;
import java.util.function.Function;

/** {@link RateStore} over a {@link KeyedLimiters} registry in this process. */
final class MemoryRateStore implements RateStore {

    /**
     * How long a concurrency key stays once nothing is in flight. It has no window; and it must be
     * more than zero, or a key created for a call could be evicted before that call takes its permit.
     */
    static final long CONCURRENCY_IDLE_NANOS = 1_000_000_000L;

    private final KeyedLimiters<LimitSpec, RateLimiter> registry;
    private final KeyedRateLimiter limiter;

    MemoryRateStore(NanoClock clock, int maxKeys, Function<String, LimitSpec> fallbackPolicy) {
        this.registry = KeyedLimiters.forSpecs(fallbackPolicy, clock)
                .idleTime(MemoryRateStore::idleNanos)
                .maximumKeys(maxKeys)
                .build();
        this.limiter = KeyedRateLimiter.inMemory(registry);
    }

    @Override
    public KeyedRateLimiter limiter() {
        return limiter;
    }

    @Override
    public void forEachKey(Consumer<String> action) {
        registry.forEach((key, ignored) -> action.accept(key));
    }

    @Override
    public int keyCount() {
        return registry.size();
    }

    @Override
    public long evictions() {
        return registry.evictions();
    }

    @Override
    public long refusedKeys() {
        return registry.refusals();
    }

    @Override
    public int sweep(int maxEntries) {
        return registry.sweep(maxEntries);
    }

    /** How long a key stays once its limiter is back to a fresh state: a few of its windows. */
    static long idleNanos(LimitSpec spec) {
        return switch (spec) {
            case FixedWindowSpec fixed -> RateService.IDLE_WINDOWS * fixed.windowNanos();
            case SlidingWindowSpec sliding -> RateService.IDLE_WINDOWS * sliding.windowNanos();
            // the time to refill from empty; the spec bounds capacity × period, so no overflow
            case TokenBucketSpec bucket ->
                RateService.IDLE_WINDOWS * (bucket.capacity() * bucket.refillPeriodNanos() / bucket.refillPermits());
            case ConcurrencySpec concurrency -> CONCURRENCY_IDLE_NANOS;
        };
    }
}
