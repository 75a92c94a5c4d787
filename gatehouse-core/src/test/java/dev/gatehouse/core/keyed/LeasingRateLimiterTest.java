package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The local tier over a global limit, several nodes over one global limiter on one fake clock: the
 * global limiter is asked about once per lease, nodes never admit more than it granted, and over
 * any window no more than its limit plus what the nodes' leases can carry over.
 */
class LeasingRateLimiterTest {

    private static final int MAX_LEASE = 16;
    private static final Duration LEASE_TIME = Duration.ofMillis(100);

    private final ManualClock clock = new ManualClock();

    /** The shared limit, counting the calls it gets and the permits it grants. */
    private class Global implements KeyedRateLimiter {
        final KeyedRateLimiter limits = KeyedRateLimiter.inMemory(LimiterRegistry.forSpecs(
                        key -> {
                            throw new IllegalStateException("asked with its spec");
                        },
                        clock)
                .build());
        final AtomicInteger calls = new AtomicInteger();
        final AtomicLong granted = new AtomicLong();
        final AtomicLong released = new AtomicLong();

        @Override
        public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
            calls.incrementAndGet();
            return limits.decide(key, spec, permits).thenApply(decision -> {
                if (decision.allowed()) {
                    granted.addAndGet(permits);
                }
                return decision;
            });
        }

        @Override
        public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
            released.addAndGet(permits);
            return limits.release(key, spec, permits, lease);
        }

        @Override
        public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
            return limits.snapshot(key, spec);
        }
    }

    private final Global global = new Global();

    private KeyedRateLimiter node() {
        return KeyedRateLimiter.leasing(global, clock, LEASE_TIME, MAX_LEASE, 1_000);
    }

    private static boolean allowed(KeyedRateLimiter limiter, String key, LimitSpec spec) {
        return limiter.decide(key, spec, 1).toCompletableFuture().join().allowed();
    }

    @Test
    void aHotKeyAsksTheGlobalLimiterAboutOncePerLease() {
        KeyedRateLimiter node = node();
        LimitSpec spec = LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1));
        for (int i = 0; i < 2_000; i++) {
            assertThat(allowed(node, "hot", spec)).isTrue();
        }
        // leases of 1, 2, 4, 8, then 16: a few calls to grow, then one per 16 decisions
        assertThat(global.calls.get()).isLessThanOrEqualTo(5 + 2_000 / MAX_LEASE);
        assertThat(global.granted.get()).isGreaterThanOrEqualTo(2_000).isLessThan(2_000 + MAX_LEASE);
    }

    @Test
    void aRefusalIsAnsweredLocallyUntilItsRetryTime() {
        KeyedRateLimiter node = node();
        LimitSpec spec = LimitSpec.fixedWindow(10, Duration.ofSeconds(1));
        int allowedCount = 0;
        for (int i = 0; i < 1_000; i++) {
            allowedCount += allowed(node, "k", spec) ? 1 : 0;
        }
        assertThat(allowedCount).isEqualTo(10);
        int callsWhenDenied = global.calls.get();
        Decision denied = node.decide("k", spec, 1).toCompletableFuture().join();
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry())
                .isPositive()
                .isLessThanOrEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(global.calls.get()).as("no call while the refusal holds").isEqualTo(callsWhenDenied);
        assertThat(callsWhenDenied).isLessThan(20);

        clock.advance(Duration.ofSeconds(1));
        assertThat(allowed(node, "k", spec)).as("the next window").isTrue();
    }

    /**
     * Three nodes, one global fixed window of {@code limit} a second, requests arriving at random
     * nodes at random times (about 6.7 times the limit) over 30 windows: no window admits more than
     * the limit plus what three leases can carry over — at a limit of 10,000, at most 0.48% over —
     * and the nodes never admit more than the global limiter granted.
     */
    @ParameterizedTest
    @CsvSource({"100, 3000000", "10000, 30000"})
    void threeNodesAdmitAtMostTheGlobalLimitPlusTheirLeasesInAnyWindow(int limit, long maxGapNanos) {
        LimitSpec spec = LimitSpec.fixedWindow(limit, Duration.ofSeconds(1));
        List<KeyedRateLimiter> nodes = List.of(node(), node(), node());
        SplittableRandom random = new SplittableRandom(42);
        long start = clock.nowNanos();
        Map<Long, Integer> admittedPerWindow = new HashMap<>();
        long admitted = 0;
        while (clock.nowNanos() - start < Duration.ofSeconds(30).toNanos()) {
            clock.advanceNanos(random.nextLong(maxGapNanos)); // limit 100: 0 to 3 ms, about 670 requests a second
            KeyedRateLimiter node = nodes.get(random.nextInt(3));
            if (allowed(node, "shared", spec)) {
                admitted++;
                admittedPerWindow.merge((clock.nowNanos() - start) / 1_000_000_000L, 1, Integer::sum);
            }
        }
        assertThat(admitted).isLessThanOrEqualTo(global.granted.get());
        assertThat(admittedPerWindow.values())
                .allSatisfy(count -> assertThat(count).isLessThanOrEqualTo(limit + 3 * MAX_LEASE));
        assertThat(admitted).as("under-admission is bounded too").isGreaterThan(30L * (limit - 3 * MAX_LEASE));
        if (limit >= 100 * 3 * MAX_LEASE) {
            int most = admittedPerWindow.values().stream()
                    .mapToInt(Integer::intValue)
                    .max()
                    .orElseThrow();
            assertThat((most - limit) / (double) limit)
                    .as("over-admission, of the limit")
                    .isLessThanOrEqualTo(0.01);
        }
    }

    /**
     * Threads deciding through three nodes against a bucket that never refills: the nodes admit no
     * more than its capacity, each permit once, and leave at most their leases unused.
     */
    @Test
    void concurrentNodesNeverAdmitAPermitTwice() throws InterruptedException {
        LimitSpec spec = LimitSpec.tokenBucket(500, 1, Duration.ofDays(1));
        List<KeyedRateLimiter> nodes = List.of(node(), node(), node());
        AtomicLong admitted = new AtomicLong();
        AtomicInteger thread = new AtomicInteger();
        Race.run(6, () -> {
            KeyedRateLimiter node = nodes.get(thread.getAndIncrement() % 3);
            for (int i = 0; i < 400; i++) {
                if (allowed(node, "scarce", spec)) {
                    admitted.incrementAndGet();
                }
            }
        });
        assertThat(admitted.get()).isLessThanOrEqualTo(500).isGreaterThanOrEqualTo(500 - 3L * MAX_LEASE);
        assertThat(global.granted.get()).isLessThanOrEqualTo(500);
    }

    /** A global limiter that throws (a spec it refuses) fails the decisions, and strands no waiter. */
    @Test
    void aGlobalLimiterThatThrowsFailsTheDecisionsWaitingForIt() {
        KeyedRateLimiter throwing = new Global() {
            @Override
            public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
                throw new IllegalArgumentException("refused spec");
            }
        };
        KeyedRateLimiter node = KeyedRateLimiter.leasing(throwing, clock, LEASE_TIME, MAX_LEASE, 10);
        LimitSpec spec = LimitSpec.fixedWindow(10, Duration.ofSeconds(1));
        for (int i = 0; i < 3; i++) {
            assertThat(node.decide("k", spec, 1).toCompletableFuture())
                    .as("attempt %d ends", i)
                    .failsWithin(Duration.ZERO);
        }
    }

    @Test
    void anExpiredLeaseGivesItsUnusedPermitsBackToABucketAndConcurrencyIsNotLeased() {
        KeyedRateLimiter node = node();
        LimitSpec bucket = LimitSpec.tokenBucket(1_000, 1, Duration.ofDays(1));
        for (int i = 0; i < 40; i++) { // grows the lease to 16 and leaves some unused
            allowed(node, "b", bucket);
        }
        long grantedBefore = global.granted.get();
        assertThat(grantedBefore).isGreaterThan(40);
        clock.advance(LEASE_TIME);
        assertThat(allowed(node, "b", bucket)).isTrue();
        assertThat(global.released.get()).as("what was leased and not used").isEqualTo(grantedBefore - 40);

        LimitSpec concurrency = LimitSpec.concurrency(2);
        int before = global.calls.get();
        assertThat(allowed(node, "c", concurrency)).isTrue();
        assertThat(allowed(node, "c", concurrency)).isTrue();
        assertThat(allowed(node, "c", concurrency)).isFalse();
        assertThat(global.calls.get() - before).as("each one asked").isEqualTo(3);
    }
}
