package dev.gatehouse.core.keyed;

import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.testing.KeyedRateLimiterContract;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;

/** The in-memory limiters against the contract (and so against themselves in the random runs). */
class MemoryKeyedRateLimiterTest extends KeyedRateLimiterContract {

    @Override
    protected KeyedRateLimiter newLimiter(ManualClock clock) {
        return KeyedRateLimiter.inMemory(
                LimiterRegistry.forSpecs(key -> LimitSpec.fixedWindow(1, Duration.ofSeconds(1)), clock)
                        .build());
    }
}
