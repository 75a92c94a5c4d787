package dev.gatehouse.rate;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link RateStore} over a {@link LimiterRegistry} in this process: at most {@code maxKeys} keys, each
 * forgotten its spec's idle time ({@link LimitSpec#idleNanos()}) after it was last useful.
 */
public final class MemoryRateStore implements RateStore {

    private final LimiterRegistry<LimitSpec, RateLimiter> registry;
    private final KeyedRateLimiter limiter;

    /** {@code fallbackPolicy} gives the spec of a key created without one, which the rate service never does. */
    public MemoryRateStore(NanoClock clock, int maxKeys, Function<String, LimitSpec> fallbackPolicy) {
        this.registry = LimiterRegistry.forSpecs(fallbackPolicy, clock)
                .idleTime(LimitSpec::idleNanos)
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
}
