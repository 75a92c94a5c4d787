package dev.gatehouse.redis;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.testing.KeyedRateLimiterContract;
import dev.gatehouse.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;

/** The limiter contract against the real Redis, with the scripts' time pinned to the test's clock. */
class RedisKeyedRateLimiterContractTest extends KeyedRateLimiterContract {

    private static final long LEASE_MICROS = 60_000_000L;

    private RedisBackend backend;

    @Override
    protected KeyedRateLimiter newLimiter(ManualClock clock) {
        backend = TestRedis.connect();
        return new RedisKeyedRateLimiter(
                backend.commands(), "gatehouse-test:contract:", LEASE_MICROS, () -> clock.nowNanos() / 1000);
    }

    @Override
    protected long timeResolutionNanos() {
        return 1000;
    }

    @Override
    protected long concurrencyLeaseNanos() {
        return LEASE_MICROS * 1000;
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }
}
