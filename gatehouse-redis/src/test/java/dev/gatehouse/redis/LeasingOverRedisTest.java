package dev.gatehouse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.RequiredServices;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three nodes of the two-tier limiter over one Redis: threads deciding through them against a
 * bucket that never refills admit no more than its capacity, leave no more than their leases unused,
 * and ask Redis far less than once per decision.
 */
class LeasingOverRedisTest {

    private static final long MAX_LEASE = 32;

    private final RedisBackend backend = RedisBackend.connect(RequiredServices.REDIS_URL);

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void threeNodesOnOneRedisAdmitTheCapacityOnceAndAskRedisPerLease() throws InterruptedException {
        KeyedRateLimiter redis = backend.rateLimiter("leasing-test-" + UUID.randomUUID() + ":");
        AtomicInteger calls = new AtomicInteger();
        KeyedRateLimiter counted = new KeyedRateLimiter() {
            @Override
            public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
                calls.incrementAndGet();
                return redis.decide(key, spec, permits);
            }

            @Override
            public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
                calls.incrementAndGet();
                return redis.release(key, spec, permits, lease);
            }

            @Override
            public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
                return redis.snapshot(key, spec);
            }
        };
        List<KeyedRateLimiter> nodes = List.of(node(counted), node(counted), node(counted));
        LimitSpec spec = LimitSpec.tokenBucket(3_000, 1, Duration.ofMinutes(20)); // no refill within the test
        AtomicLong admitted = new AtomicLong();
        AtomicLong decisions = new AtomicLong();
        AtomicInteger thread = new AtomicInteger();
        Race.run(6, () -> {
            KeyedRateLimiter node = nodes.get(thread.getAndIncrement() % 3);
            for (int i = 0; i < 1_000; i++) {
                decisions.incrementAndGet();
                if (node.decide("shared", spec, 1).toCompletableFuture().join().allowed()) {
                    admitted.incrementAndGet();
                }
            }
        });
        assertThat(admitted.get()).isLessThanOrEqualTo(3_000).isGreaterThanOrEqualTo(3_000 - 3 * MAX_LEASE);
        assertThat(calls.get())
                .as("Redis calls for %d decisions", decisions.get())
                .isLessThan(1_000);
    }

    private static KeyedRateLimiter node(KeyedRateLimiter global) {
        return KeyedRateLimiter.leasing(global, NanoClock.system(), Duration.ofSeconds(10), MAX_LEASE, 1_000);
    }
}
