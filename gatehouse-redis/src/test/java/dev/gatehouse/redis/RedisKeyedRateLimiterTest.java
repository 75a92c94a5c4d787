package dev.gatehouse.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.testing.CommandStats;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What only the Redis limiters must get right: many nodes, one command per decision, keys, failures. */
class RedisKeyedRateLimiterTest {

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private final List<RedisBackend> backends = new ArrayList<>();

    private RedisBackend node() {
        return node(RedisBackend.DEFAULT_COMMAND_TIMEOUT);
    }

    private RedisBackend node(Duration commandTimeout) {
        RedisBackend backend = TestRedis.connect(commandTimeout);
        backends.add(backend);
        return backend;
    }

    @AfterEach
    void close() {
        backends.forEach(RedisBackend::close);
    }

    private static Decision decide(KeyedRateLimiter limiter, String key, LimitSpec spec) {
        return limiter.decide(key, spec, 1).toCompletableFuture().join();
    }

    @Test
    void threeNodes_tenThousandConcurrentAttempts_fixedWindowOf500_admitExactly500() throws Exception {
        // 10,000 scripts pipelined at once: on a busy machine the last answers can take longer than the
        // default 500 ms, and this test is about exactness, not latency
        Duration patient = Duration.ofSeconds(10);
        List<KeyedRateLimiter> nodes = List.of(
                node(patient).rateLimiter(prefix),
                node(patient).rateLimiter(prefix),
                node(patient).rateLimiter(prefix));
        LimitSpec spec = LimitSpec.fixedWindow(500, Duration.ofMinutes(1));
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Future<List<CompletableFuture<Decision>>>> perNode = new ArrayList<>();
            for (KeyedRateLimiter node : nodes) {
                perNode.add(callers.submit(() -> {
                    List<CompletableFuture<Decision>> decisions = new ArrayList<>();
                    for (int i = 0; i < 3_334; i++) {
                        decisions.add(node.decide("hot", spec, 1).toCompletableFuture());
                    }
                    return decisions;
                }));
            }
            long attempts = 0;
            long admitted = 0;
            for (Future<List<CompletableFuture<Decision>>> node : perNode) {
                for (CompletableFuture<Decision> decision : node.get(30, TimeUnit.SECONDS)) {
                    attempts++;
                    admitted += decision.get(30, TimeUnit.SECONDS).allowed() ? 1 : 0;
                }
            }
            assertThat(attempts).isGreaterThanOrEqualTo(10_000);
            assertThat(admitted).isEqualTo(500);
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void threeNodes_tokenBucket_admitTheBurstAndTheRefill_neverMoreThanBurstPlusRateTimesElapsed() throws Exception {
        List<KeyedRateLimiter> nodes =
                List.of(node().rateLimiter(prefix), node().rateLimiter(prefix), node().rateLimiter(prefix));
        LimitSpec spec = LimitSpec.tokenBucket(50, 200, Duration.ofSeconds(1));
        AtomicLong admitted = new AtomicLong();
        ExecutorService callers = Executors.newFixedThreadPool(3);
        long start = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (KeyedRateLimiter node : nodes) {
                running.add(callers.submit(() -> {
                    long until = start + TimeUnit.MILLISECONDS.toNanos(700);
                    while (System.nanoTime() - until < 0) {
                        List<CompletableFuture<Decision>> batch = new ArrayList<>();
                        for (int i = 0; i < 32; i++) {
                            batch.add(node.decide("bucket", spec, 1).toCompletableFuture());
                        }
                        batch.forEach(
                                decision -> admitted.addAndGet(decision.join().allowed() ? 1 : 0));
                    }
                }));
            }
            for (Future<?> node : running) {
                node.get(30, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;

        // the callers asked for 0.7 s without pause: beyond the burst of 50 the bucket refilled at
        // 200/s, and a refilled permit is lost only if nobody asks for a quarter second (the bucket
        // holds 50); so even with 0.45 s lost to stalls, at least 50 refilled permits are admitted
        assertThat(admitted.get())
                .isGreaterThanOrEqualTo(50 + 50)
                .isLessThanOrEqualTo(50 + (long) (200 * elapsedSeconds));
    }

    @Test
    void everyDecision_isExactlyOneCommandFromTheClient() {
        try (PrivateRedis redis = PrivateRedis.start();
                RedisBackend backend = RedisBackend.connect(redis.url());
                RedisClient admin = RedisClient.create(redis.url());
                StatefulRedisConnection<String, String> connection = admin.connect()) {
            KeyedRateLimiter limiter = backend.rateLimiter(prefix);
            List<LimitSpec> specs = List.of(
                    LimitSpec.tokenBucket(10, 10, Duration.ofSeconds(1)),
                    LimitSpec.fixedWindow(10, Duration.ofSeconds(1)),
                    LimitSpec.slidingWindow(10, Duration.ofSeconds(1)),
                    LimitSpec.concurrency(10));
            specs.forEach(spec -> decide(limiter, "warm-up", spec)); // loads the scripts (EVAL once each)
            connection.sync().configResetstat();

            for (LimitSpec spec : specs) {
                for (int i = 0; i < 50; i++) {
                    decide(limiter, "k" + i, spec);
                }
            }

            Map<String, Long> calls = CommandStats.calls(connection.sync().info("commandstats"));
            assertThat(calls).containsEntry("evalsha", 200L);
            // commandstats counts the commands a script runs too (TIME, GET, SET, ...): those are
            // inside the one EVALSHA; nothing else came from the client
            assertThat(calls).doesNotContainKeys("eval", "multi", "exec", "script|load");
            assertThat(calls).containsEntry("time", 200L);
        }
    }

    @Test
    void stateKeys_carryTheKeysHashTag_soEveryScriptTouchesOneSlot() {
        RedisBackend backend = node();
        KeyedRateLimiter limiter = backend.rateLimiter(prefix);
        decide(limiter, "user:42", LimitSpec.concurrency(5));

        List<String> keys =
                backend.commands().keys(prefix + "*").toCompletableFuture().join();

        assertThat(keys)
                .containsExactlyInAnyOrder(prefix + "concurrency:{kuser:42}", prefix + "concurrency:{kuser:42}:leases");
        assertThat(keys.stream().map(SlotHash::getSlot).distinct()).hasSize(1);
        assertThat(SlotHash.getSlot(keys.get(0))).isEqualTo(SlotHash.getSlot("kuser:42"));
    }

    @Test
    void stateKeys_expireWhenIdle() {
        RedisBackend backend = node();
        KeyedRateLimiter limiter = backend.rateLimiter(prefix);
        decide(limiter, "window", LimitSpec.fixedWindow(5, Duration.ofSeconds(1)));
        decide(limiter, "bucket", LimitSpec.tokenBucket(5, 1, Duration.ofSeconds(1)));
        decide(limiter, "sliding", LimitSpec.slidingWindow(5, Duration.ofSeconds(1)));

        // a window's key: until the window (fixed) or both windows (sliding) are past, then its idle time
        long idleMillis = LimitSpec.fixedWindow(5, Duration.ofSeconds(1)).idleNanos() / 1_000_000;
        assertThat(idleMillis).isEqualTo(3_000);
        assertThat(ttlMillis(backend, "fixed_window:{kwindow}")).isBetween(idleMillis + 1, idleMillis + 1_001);
        assertThat(ttlMillis(backend, "token_bucket:{kbucket}")).isBetween(1L, 1_001L); // until refilled
        assertThat(ttlMillis(backend, "sliding_window:{ksliding}")).isBetween(idleMillis + 1, idleMillis + 2_001);

        limiter.release("bucket", LimitSpec.tokenBucket(5, 1, Duration.ofSeconds(1)), 1)
                .toCompletableFuture()
                .join();
        assertThat(ttlMillis(backend, "token_bucket:{kbucket}")).isEqualTo(-2); // full again: nothing kept
    }

    @Test
    void pinnedTime_keepsKeysAnHourLonger_soRealTimeCannotExpireThemInTheMiddleOfARun() {
        RedisBackend backend = node();
        long nowMicros = 1_700_000_000_000_000L;
        KeyedRateLimiter pinned = new RedisKeyedRateLimiter(backend.commands(), prefix, 1_000_000L, () -> nowMicros);
        decide(pinned, "window", LimitSpec.fixedWindow(5, Duration.ofMillis(10)));
        decide(pinned, "bucket", LimitSpec.tokenBucket(5, 1, Duration.ofMillis(10)));
        decide(pinned, "sliding", LimitSpec.slidingWindow(5, Duration.ofMillis(10)));
        decide(pinned, "job", LimitSpec.concurrency(5));

        // about an hour where the windows alone keep them 10-20 ms; Redis counts the TTLs down in real
        // time while the test runs, so a minute of slack, not the hour to the millisecond
        long almostAnHour = Duration.ofMinutes(59).toMillis();
        assertThat(ttlMillis(backend, "fixed_window:{kwindow}")).isGreaterThan(almostAnHour);
        assertThat(ttlMillis(backend, "token_bucket:{kbucket}")).isGreaterThan(almostAnHour);
        assertThat(ttlMillis(backend, "sliding_window:{ksliding}")).isGreaterThan(almostAnHour);
        assertThat(ttlMillis(backend, "concurrency:{kjob}")).isGreaterThan(almostAnHour);
        assertThat(ttlMillis(backend, "concurrency:{kjob}:leases")).isGreaterThan(almostAnHour);
    }

    @Test
    void keyReconfiguredToAnotherAlgorithm_startsAfresh() {
        KeyedRateLimiter limiter = node().rateLimiter(prefix);
        decide(limiter, "k", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)));

        for (LimitSpec spec : List.of(
                LimitSpec.slidingWindow(1, Duration.ofMinutes(1)),
                LimitSpec.tokenBucket(1, 1, Duration.ofMinutes(1)),
                LimitSpec.concurrency(1))) {
            assertThat(decide(limiter, "k", spec).allowed())
                    .as(spec.algorithm())
                    .isTrue();
            assertThat(decide(limiter, "k", spec).allowed())
                    .as(spec.algorithm())
                    .isFalse();
        }
    }

    @Test
    void concurrencyPermit_neverReleased_isFreedWhenItsLeaseEnds() {
        RedisBackend backend = node();
        long[] nowMicros = {1_700_000_000_000_000L};
        KeyedRateLimiter limiter =
                new RedisKeyedRateLimiter(backend.commands(), prefix, 1_000_000L, () -> nowMicros[0]);
        LimitSpec spec = LimitSpec.concurrency(1);

        assertThat(decide(limiter, "job", spec).allowed()).isTrue();
        assertThat(decide(limiter, "job", spec).allowed()).isFalse();
        nowMicros[0] += 1_000_000L;
        assertThat(decide(limiter, "job", spec).allowed()).isTrue();
    }

    @Test
    void concurrencyLeases_grantedInOneMicrosecond_areDistinct_andNotReusedOnceReleased() {
        RedisBackend backend = node();
        long nowMicros = 1_700_000_000_000_000L;
        KeyedRateLimiter limiter = new RedisKeyedRateLimiter(backend.commands(), prefix, 1_000_000L, () -> nowMicros);
        LimitSpec spec = LimitSpec.concurrency(3);

        List<Long> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(decide(limiter, "job", spec).lease());
        }
        for (long lease : leases) {
            limiter.release("job", spec, 1, lease).toCompletableFuture().join();
        }
        leases.add(decide(limiter, "job", spec).lease()); // nothing in flight: the key kept its last lease

        assertThat(leases)
                .doesNotHaveDuplicates()
                .isSorted()
                .allSatisfy(lease -> assertThat(lease).isPositive().isLessThan(1L << 52));
        assertThat(leases.get(0)).isEqualTo(nowMicros + 1_000_000L); // named by its end
    }

    @Test
    void concurrencyRelease_namingAGrant_givesBackAtMostItsPermits() {
        KeyedRateLimiter limiter = node().rateLimiter(prefix);
        LimitSpec spec = LimitSpec.concurrency(4);
        Decision three = limiter.decide("job", spec, 3).toCompletableFuture().join();
        Decision one = limiter.decide("job", spec, 1).toCompletableFuture().join();

        limiter.release("job", spec, 1, three.lease()).toCompletableFuture().join();
        assertThat(decide(limiter, "job", spec).remaining()).isZero(); // one of the three came back
        limiter.release("job", spec, 5, three.lease()).toCompletableFuture().join();

        assertThat(decide(limiter, "job", spec).remaining()).isEqualTo(1); // the other two, not the single
        assertThat(one.lease()).isNotEqualTo(three.lease());
    }

    @Test
    void concurrencyRelease_byCount_givesBackTheLeasesClosestToExpiry() {
        RedisBackend backend = node();
        long[] nowMicros = {1_700_000_000_000_000L};
        KeyedRateLimiter limiter =
                new RedisKeyedRateLimiter(backend.commands(), prefix, 1_000_000L, () -> nowMicros[0]);
        LimitSpec spec = LimitSpec.concurrency(2);
        decide(limiter, "job", spec); // ends first
        nowMicros[0] += 500_000L;
        Decision later = decide(limiter, "job", spec);

        limiter.release("job", spec, 1).toCompletableFuture().join(); // names no grant: the oldest goes
        nowMicros[0] += 500_000L; // the first lease would have ended now; the later one still runs

        assertThat(decide(limiter, "job", spec).allowed()).isTrue();
        assertThat(decide(limiter, "job", spec).allowed()).isFalse();
        limiter.release("job", spec, 1, later.lease()).toCompletableFuture().join();
        assertThat(decide(limiter, "job", spec).allowed()).isTrue();
    }

    @Test
    void clockSteppingBack_refillsNothingTwice() {
        RedisBackend backend = node();
        long[] nowMicros = {1_700_000_000_000_000L};
        KeyedRateLimiter limiter =
                new RedisKeyedRateLimiter(backend.commands(), prefix, 1_000_000L, () -> nowMicros[0]);
        LimitSpec twoPerMinute = LimitSpec.tokenBucket(2, 1, Duration.ofMinutes(1));
        assertThat(decide(limiter, "bucket", twoPerMinute).allowed()).isTrue();

        nowMicros[0] -= 60_000_000L; // a failover to a replica whose clock lags a minute
        assertThat(decide(limiter, "bucket", twoPerMinute).allowed()).isTrue();
        nowMicros[0] += 60_000_000L; // back to where the first call was: no time has passed since

        assertThat(decide(limiter, "bucket", twoPerMinute).allowed()).isFalse();
    }

    @Test
    void limitLoweredWithinTheWindow_reportsNothingRemaining_neverANegativeCount() {
        KeyedRateLimiter limiter = node().rateLimiter(prefix);
        for (int i = 0; i < 3; i++) {
            decide(limiter, "k", LimitSpec.fixedWindow(5, Duration.ofMinutes(1)));
        }

        Decision lowered = decide(limiter, "k", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)));

        assertThat(lowered.allowed()).isFalse();
        assertThat(lowered.remaining()).isZero();
    }

    @Test
    void serversClock_judgesTheWindow() {
        KeyedRateLimiter limiter = node().rateLimiter(prefix);
        LimitSpec spec = LimitSpec.fixedWindow(2, Duration.ofMinutes(1));

        assertThat(decide(limiter, "k", spec).allowed()).isTrue();
        assertThat(decide(limiter, "k", spec).allowed()).isTrue();
        Decision denied = decide(limiter, "k", spec);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry())
                .isBetween(
                        Duration.ofSeconds(50).toNanos(), Duration.ofMinutes(1).toNanos());
    }

    @Test
    void scriptsFlushedFromRedis_areLoadedAgainTransparently() {
        RedisBackend backend = node();
        KeyedRateLimiter limiter = backend.rateLimiter(prefix);
        LimitSpec spec = LimitSpec.fixedWindow(1, Duration.ofMinutes(1));
        backend.commands().scriptFlush().toCompletableFuture().join();

        assertThat(decide(limiter, "k", spec).allowed()).isTrue();
        assertThat(decide(limiter, "k", spec).allowed()).isFalse();
    }

    @Test
    void specRedisCannotDecideExactly_isRefusedNamingTheProblem() {
        KeyedRateLimiter limiter = node().rateLimiter(prefix);

        assertThatThrownBy(() -> limiter.decide("k", LimitSpec.fixedWindow(1, Duration.ofNanos(1_000_500)), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("whole microseconds");
        assertThatThrownBy(() -> limiter.decide("k", LimitSpec.slidingWindow(1L << 40, Duration.ofHours(1)), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2^52");
        assertThatThrownBy(() -> node().rateLimiter("bad{prefix"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hash tag");
    }

    @Test
    void errorReplyAboutTheCall_failsThatCallOnly_notAsAnOutage() {
        RedisBackend backend = node();
        KeyedRateLimiter limiter = backend.rateLimiter(prefix);
        backend.commands()
                .lpush(prefix + "fixed_window:{kodd}", "not a window")
                .toCompletableFuture()
                .join();

        assertThatThrownBy(() -> decide(limiter, "odd", LimitSpec.fixedWindow(1, Duration.ofMinutes(1))))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Redis refused the call (WRONGTYPE");
    }

    @Test
    void redisGone_completesWithLimiterUnavailable() {
        RedisBackend backend = TestRedis.connect();
        KeyedRateLimiter limiter = backend.rateLimiter(prefix);
        backend.close();

        assertThatThrownBy(() -> decide(limiter, "k", LimitSpec.concurrency(1)))
                .hasCauseInstanceOf(LimiterUnavailableException.class)
                .hasMessageContaining("Redis did not answer");
    }

    private long ttlMillis(RedisBackend backend, String stateKey) {
        return backend.commands().pttl(prefix + stateKey).toCompletableFuture().join();
    }
}
