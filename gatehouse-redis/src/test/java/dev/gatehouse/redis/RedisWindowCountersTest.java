package dev.gatehouse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.window.WindowCounters;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.testing.WindowCountersContract;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract on a real Redis, and the expiry Redis keeps for each counter. */
class RedisWindowCountersTest extends WindowCountersContract {

    private static RedisBackend redis;
    private static final String PREFIX = "gatehouse-test:windows:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void connect() {
        redis = RedisBackend.connect(RequiredServices.redis());
    }

    @AfterAll
    static void close() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected WindowCounters counters() {
        return redis.windowCounters(PREFIX);
    }

    @Test
    void aCounterLivesItsTimeFromItsFirstHit() throws Exception {
        WindowCounters counters = counters();
        counters.add(List.of("ttl"), new long[] {1}, new long[] {90})
                .toCompletableFuture()
                .join();
        counters.add(List.of("ttl"), new long[] {1}, new long[] {5000})
                .toCompletableFuture()
                .join();
        long ttl = redis.commands().ttl(PREFIX + "ttl").get();
        assertThat(ttl).as("set once, by the first hit").isBetween(1L, 90L);
    }
}
