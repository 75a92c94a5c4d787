package dev.gatehouse.redis;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.degrade.DegradingKeyedRateLimiter;
import dev.gatehouse.core.degrade.Fallback;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.nonce.DegradingNonceStore;
import dev.gatehouse.proof.nonce.NonceStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A private Redis killed in the middle of a run and started again (empty, as after a crash): every
 * fallback policy behaves as configured, no exception reaches a caller, recovery is found by the
 * probe, and nonces consumed during the outage are written back so they cannot be replayed.
 */
class RedisOutageTest {

    private static final LimitSpec TEN_PER_MINUTE = LimitSpec.fixedWindow(10, Duration.ofMinutes(1));
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(50);
    private static final long RECOVERY_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private ScheduledExecutorService probes;
    private PrivateRedis redis;
    private RedisBackend backend;
    private StoreHealth health;

    @BeforeEach
    void startRedis() {
        redis = PrivateRedis.start();
        backend = RedisBackend.connect(redis.url(), Duration.ofMillis(200));
        probes = Executors.newSingleThreadScheduledExecutor();
        health = backend.health(Scheduler.of(probes), PROBE_INTERVAL);
    }

    @AfterEach
    void stopAll() throws Exception {
        probes.shutdownNow();
        for (AutoCloseable resource : resources) {
            resource.close();
        }
        backend.close();
        redis.close();
    }

    private KeyedRateLimiter degrading(Fallback fallback) {
        return DegradingKeyedRateLimiter.create(backend.rateLimiter("limits:"), health, fallback);
    }

    private static KeyedRateLimiter inMemory() {
        return KeyedRateLimiter.inMemory(LimiterRegistry.forSpecs(key -> TEN_PER_MINUTE, NanoClock.system())
                .build());
    }

    /** Allowed decisions among {@code attempts}; join() would throw if an exception reached the caller. */
    private static long admitted(KeyedRateLimiter limiter, String key, int attempts) {
        long allowed = 0;
        for (int i = 0; i < attempts; i++) {
            Decision decision =
                    limiter.decide(key, TEN_PER_MINUTE, 1).toCompletableFuture().join();
            allowed += decision.allowed() ? 1 : 0;
        }
        return allowed;
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + RECOVERY_DEADLINE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 20 s: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Test
    void everyPolicy_behavesAsConfigured_acrossAKillAndARestart() {
        KeyedRateLimiter failOpen = degrading(Fallback.failOpen());
        KeyedRateLimiter failClosed = degrading(Fallback.failClosed());
        KeyedRateLimiter local = degrading(Fallback.local(inMemory(), 2));
        assertThat(admitted(failOpen, "open", 15)).isEqualTo(10);
        assertThat(admitted(failClosed, "closed", 15)).isEqualTo(10);
        assertThat(admitted(local, "local", 15)).isEqualTo(10);

        redis.kill();

        assertThat(admitted(failOpen, "open", 20)).isEqualTo(20);
        assertThat(health.state()).isEqualTo(StoreHealth.State.DEGRADED);
        assertThat(admitted(failClosed, "closed", 20)).isZero();
        assertThat(admitted(local, "local", 20)).isEqualTo(5); // this node's share of 10 among 2

        redis.startAgain();
        awaitTrue(health::healthy, "the probe finds Redis back");

        assertThat(health.outages()).isEqualTo(1);
        assertThat(admitted(failClosed, "closed", 15)).isEqualTo(10); // Redis restarted empty
    }

    @Test
    void concurrencyPermitFromTheLocalShare_releasedAfterRecovery_goesBackThere_notToRedis() {
        LimitSpec twoAtOnce = LimitSpec.concurrency(2);
        KeyedRateLimiter localShare = inMemory();
        KeyedRateLimiter limiter = degrading(Fallback.local(localShare, 2));
        redis.kill();
        Decision duringOutage =
                limiter.decide("job", twoAtOnce, 1).toCompletableFuture().join();
        assertThat(duringOutage.allowed()).isTrue();

        redis.startAgain();
        awaitTrue(health::healthy, "the probe finds Redis back");
        assertThat(limiter.decide("job", twoAtOnce, 1)
                        .toCompletableFuture()
                        .join()
                        .allowed())
                .isTrue();
        assertThat(limiter.decide("job", twoAtOnce, 1)
                        .toCompletableFuture()
                        .join()
                        .allowed())
                .isTrue();
        limiter.release("job", twoAtOnce, 1, duringOutage.lease())
                .toCompletableFuture()
                .join();

        assertThat(limiter.decide("job", twoAtOnce, 1)
                        .toCompletableFuture()
                        .join()
                        .allowed())
                .as("Redis's two holders still run")
                .isFalse();
        assertThat(localShare.snapshot("job", twoAtOnce).toCompletableFuture().join())
                .map(LimiterSnapshot::used)
                .hasValue(0L); // no phantom permit left in the local share
    }

    @Test
    void nonceUsedDuringTheOutage_isWrittenBack_andCannotBeReplayedOnAnyNode() {
        NonceStore node = DegradingNonceStore.localDuringOutage(
                backend.nonceStore("nonces:"), health, WallClock.system(), NanoClock.system(), 1_000);
        long expires = System.currentTimeMillis() + 60_000;
        assertThat(await(node.putIfAbsent("before", expires))).isTrue();

        redis.kill();
        assertThat(await(node.putIfAbsent("during", expires))).isTrue();
        assertThat(await(node.putIfAbsent("during", expires))).isFalse();
        assertThat(health.healthy()).isFalse();

        redis.startAgain();
        awaitTrue(health::healthy, "the probe finds Redis back and the write-back is done");

        RedisBackend otherNode = RedisBackend.connect(redis.url());
        resources.add(otherNode);
        NonceStore other = otherNode.nonceStore("nonces:");
        assertThat(await(other.contains("during"))).isTrue();
        assertThat(await(other.putIfAbsent("during", expires))).isFalse();
        assertThat(await(node.putIfAbsent("during", expires))).isFalse();
        assertThat(await(other.putIfAbsent("after", expires))).isTrue();
    }
}
