package dev.gatehouse.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.proof.testing.NonceStoreContractTest;
import dev.gatehouse.testing.ManualClock;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The nonce store contract against the real Redis server, plus what only Redis can do wrong. */
class RedisNonceStoreTest extends NonceStoreContractTest {

    private RedisBackend backend;
    private String prefix;

    @Override
    protected NonceStore newStore(ManualClock clock) {
        backend = TestRedis.connect();
        prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
        return backend.nonceStore(prefix);
    }

    /** Redis expires ids by its own clock; the contract's tests that move time are skipped. */
    @Override
    protected boolean followsTheGivenClock() {
        return false;
    }

    @BeforeEach
    void startTheContractClockNow() {
        clock.setNanos(System.currentTimeMillis() * 1_000_000L); // expiries are judged by Redis's clock
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void putIfAbsent_expiryNotInTheFutureOfTheServersClock_isRefused() {
        NonceStore store = backend.nonceStore(prefix);
        long past = System.currentTimeMillis() - 1_000;

        assertThat(store.putIfAbsent("late", past)).isFalse();
        assertThat(store.contains("late")).isFalse();
    }

    @Test
    void putIfAbsent_keepsTheKeyForTheRetentionPastExpiry() {
        NonceStore store = backend.nonceStore(prefix);
        long expiresAtMillis = System.currentTimeMillis() + 60_000;
        store.putIfAbsent("kept", expiresAtMillis);

        try (RedisClient client = RedisClient.create(TestRedis.URL);
                StatefulRedisConnection<String, String> connection = client.connect()) {
            long keepUntil = connection.sync().pexpiretime(prefix + "kept");
            assertThat(keepUntil).isEqualTo(expiresAtMillis + NonceStore.RETENTION_AFTER_EXPIRY_MILLIS);
        }
    }

    @Test
    void scriptFlushedFromRedis_isLoadedAgainTransparently() {
        NonceStore store = backend.nonceStore(prefix);
        try (RedisClient client = RedisClient.create(TestRedis.URL);
                StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().scriptFlush();
        }

        assertThat(store.putIfAbsent("after-flush", System.currentTimeMillis() + 60_000))
                .isTrue();
        assertThat(store.putIfAbsent("after-flush", System.currentTimeMillis() + 60_000))
                .isFalse();
    }

    @Test
    void redisGone_isUnavailable_neverAFirstUse() {
        NonceStore store = backend.nonceStore(prefix);
        backend.close();
        backend = null;

        assertThatThrownBy(() -> store.putIfAbsent("x", System.currentTimeMillis() + 60_000))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessageStartingWith("nonce store: Redis did not answer");
        assertThatThrownBy(() -> store.contains("x")).isInstanceOf(NonceStoreUnavailableException.class);
    }
}
