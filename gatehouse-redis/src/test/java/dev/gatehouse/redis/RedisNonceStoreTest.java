package dev.gatehouse.redis;

import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Stages;
import dev.gatehouse.testing.nonce.NonceStoreContract;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The nonce store contract against the real Redis server, plus what only Redis can do wrong. */
class RedisNonceStoreTest extends NonceStoreContract {

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

        assertThat(await(store.putIfAbsent("late", past))).isFalse();
        assertThat(await(store.contains("late"))).isFalse();
    }

    @Test
    void putIfAbsent_keepsTheKeyForTheRetentionPastExpiry() {
        NonceStore store = backend.nonceStore(prefix);
        long expiresAtMillis = System.currentTimeMillis() + 60_000;
        await(store.putIfAbsent("kept", expiresAtMillis));

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

        assertThat(await(store.putIfAbsent("after-flush", System.currentTimeMillis() + 60_000)))
                .isTrue();
        assertThat(await(store.putIfAbsent("after-flush", System.currentTimeMillis() + 60_000)))
                .isFalse();
    }

    @Test
    void redisGone_isUnavailable_neverAFirstUse() {
        NonceStore store = backend.nonceStore(prefix);
        backend.close();
        backend = null;

        assertThat(failure(store.putIfAbsent("x", System.currentTimeMillis() + 60_000)))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessageStartingWith("nonce store: Redis did not answer");
        assertThat(failure(store.contains("x"))).isInstanceOf(NonceStoreUnavailableException.class);
        assertThatThrownBy(() -> store.blocking(Stages.PATIENCE).contains("x"))
                .isInstanceOf(NonceStoreUnavailableException.class);
    }

    @Test
    void redisThatDoesNotAnswerInTime_failsTheStageAfterTheCommandTimeout_withoutBlockingTheCaller() {
        // a Redis of the test's own: pausing the shared one would stall other tests' clients
        try (PrivateRedis paused = PrivateRedis.start();
                RedisBackend slow = RedisBackend.connect(paused.url(), Duration.ofMillis(100));
                RedisClient admin = RedisClient.create(paused.url());
                StatefulRedisConnection<String, String> adminConnection = admin.connect()) {
            NonceStore store = slow.nonceStore(prefix);
            assertThat(await(store.putIfAbsent("before", System.currentTimeMillis() + 60_000)))
                    .isTrue();
            // holds every client's commands (in Redis 7.0 even a CLIENT UNPAUSE): the kill at the end ends it
            adminConnection.sync().clientPause(Stages.PATIENCE.toMillis());
            CompletionStage<Boolean> put = store.putIfAbsent("during", System.currentTimeMillis() + 60_000);
            CompletionStage<Boolean> lookup = store.contains("before");

            assertThat(put.toCompletableFuture())
                    .as("returned before Redis answers")
                    .isNotDone();
            assertThat(failure(put))
                    .isInstanceOf(NonceStoreUnavailableException.class)
                    .hasCauseInstanceOf(RedisCommandTimeoutException.class);
            assertThat(failure(lookup)).isInstanceOf(NonceStoreUnavailableException.class);
        }
    }
}
