package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link KeyedRateLimiter}, for every implementation: extend it and return a limiter
 * whose time is {@code clock}. Besides fixed examples, random runs compare every decision with the
 * in-memory limiters: same inputs, same decisions (times may differ by the store's resolution).
 * Concurrency grants in the random runs are given back by their lease, which the in-memory
 * limiters ignore: a store that keeps leases must free exactly what the count would.
 */
public abstract class KeyedRateLimiterContract {

    /** The clock the limiter must read; moved in whole milliseconds. */
    protected final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);

    private static final List<LimitSpec> SPECS = List.of(
            LimitSpec.fixedWindow(5, Duration.ofMillis(100)),
            LimitSpec.tokenBucket(5, 3, Duration.ofMillis(70)),
            LimitSpec.slidingWindow(7, Duration.ofMillis(90)),
            LimitSpec.concurrency(4));

    private KeyedRateLimiter limiter;

    /** For subclasses. */
    protected KeyedRateLimiterContract() {}

    /** A new limiter reading {@code clock}, with no state for any key. */
    protected abstract KeyedRateLimiter newLimiter(ManualClock clock);

    /** The resolution of the implementation's clock: decisions' times may be rounded up to it. */
    protected long timeResolutionNanos() {
        return 1;
    }

    /**
     * How long a concurrency permit is held by the limiter if it is never released, or 0 when it is
     * held until released (the in-memory limiters): the lease cases below apply where leases expire.
     */
    protected long concurrencyLeaseNanos() {
        return 0;
    }

    @BeforeEach
    void createLimiter() {
        limiter = newLimiter(clock);
    }

    /** A key no other test uses, so tests against a shared store stay independent. */
    protected static String freshKey() {
        return "key-" + UUID.randomUUID();
    }

    private Decision decide(KeyedRateLimiter on, String key, LimitSpec spec, long permits) {
        return on.decide(key, spec, permits).toCompletableFuture().join();
    }

    private Decision decide(String key, LimitSpec spec, long permits) {
        return decide(limiter, key, spec, permits);
    }

    private Optional<LimiterSnapshot> snapshot(String key, LimitSpec spec) {
        return limiter.snapshot(key, spec).toCompletableFuture().join();
    }

    @Test
    void fixedWindow_maxTwo_allowsTwoThenDeniesUntilTheWindowRolls() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.fixedWindow(2, Duration.ofSeconds(1));

        assertThat(decide(key, spec, 1).remaining()).isEqualTo(1);
        assertThat(decide(key, spec, 1).remaining()).isZero();
        clock.advance(Duration.ofMillis(400));
        Decision denied = decide(key, spec, 1);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry()).isEqualTo(Duration.ofMillis(600).toNanos());

        clock.advance(Duration.ofMillis(600));
        assertThat(decide(key, spec, 1).allowed()).isTrue();
    }

    @Test
    void fixedWindow_release_freesASlotOfTheCurrentWindow() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.fixedWindow(1, Duration.ofSeconds(1));
        decide(key, spec, 1);

        limiter.release(key, spec, 1).toCompletableFuture().join();

        assertThat(decide(key, spec, 1).allowed()).isTrue();
        assertThat(decide(key, spec, 1).allowed()).isFalse();
    }

    @Test
    void tokenBucket_burstThenRefillAtTheRate() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.tokenBucket(10, 5, Duration.ofSeconds(1));
        for (int i = 0; i < 10; i++) {
            assertThat(decide(key, spec, 1).allowed()).isTrue();
        }
        Decision denied = decide(key, spec, 1);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry()).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(decide(key, spec, 11).nanosUntilRetry()).isEqualTo(Decision.NEVER);

        clock.advance(Duration.ofMillis(200));
        assertThat(decide(key, spec, 1).allowed()).isTrue();
        assertThat(decide(key, spec, 1).allowed()).isFalse();
    }

    @Test
    void concurrency_deniesAtTheLimitUntilReleased() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.concurrency(2);
        decide(key, spec, 2);
        Decision denied = decide(key, spec, 1);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry()).isEqualTo(Decision.NEVER);

        limiter.release(key, spec, 1).toCompletableFuture().join();

        assertThat(decide(key, spec, 1).allowed()).isTrue();
    }

    @Test
    void concurrency_releaseNamingTheGrant_givesBackThatGrant() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.concurrency(3);
        Decision first = decide(key, spec, 2);
        Decision second = decide(key, spec, 1);
        assertThat(decide(key, spec, 1).allowed()).isFalse();

        limiter.release(key, spec, 2, first.lease()).toCompletableFuture().join();

        assertThat(decide(key, spec, 2).allowed()).isTrue();
        assertThat(decide(key, spec, 1).allowed()).isFalse();
        limiter.release(key, spec, 1, second.lease()).toCompletableFuture().join();
        assertThat(decide(key, spec, 1).allowed()).isTrue();
    }

    @Test
    void concurrency_grantReleasedTwice_secondReleaseFreesNothing() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.concurrency(1);
        Decision first = decide(key, spec, 1);
        Assumptions.assumeTrue(
                first.lease() != Decision.NO_LEASE,
                "this limiter keeps no lease per grant (Decision.NO_LEASE): it releases by count");
        limiter.release(key, spec, 1, first.lease()).toCompletableFuture().join();
        Decision second = decide(key, spec, 1);
        assertThat(second.allowed()).isTrue();
        assertThat(second.lease()).isNotEqualTo(first.lease());

        limiter.release(key, spec, 1, first.lease()).toCompletableFuture().join();

        assertThat(decide(key, spec, 1).allowed()).isFalse();
    }

    @Test
    void concurrency_leaseExpiredThenReleasedLate_freesNoOtherHoldersPermit() {
        Assumptions.assumeTrue(
                concurrencyLeaseNanos() > 0,
                "this limiter holds concurrency permits until they are released: no lease expires");
        String key = freshKey();
        LimitSpec spec = LimitSpec.concurrency(1);
        Decision slow = decide(key, spec, 1);
        clock.advanceNanos(concurrencyLeaseNanos());
        Decision next = decide(key, spec, 1); // the slow holder's lease ended: its permit is free again
        assertThat(next.allowed()).isTrue();

        limiter.release(key, spec, 1, slow.lease()).toCompletableFuture().join(); // the slow holder ends late

        assertThat(decide(key, spec, 1).allowed()).isFalse();
        limiter.release(key, spec, 1, next.lease()).toCompletableFuture().join();
        assertThat(decide(key, spec, 1).allowed()).isTrue();
    }

    @Test
    void keys_areIndependent() {
        String first = freshKey();
        String second = freshKey();
        LimitSpec spec = LimitSpec.fixedWindow(1, Duration.ofSeconds(1));

        assertThat(decide(first, spec, 1).allowed()).isTrue();
        assertThat(decide(second, spec, 1).allowed()).isTrue();
        assertThat(decide(first, spec, 1).allowed()).isFalse();
    }

    @Test
    void snapshot_freshKeyIsEmpty_usedKeyTellsRemainingAndDenials() {
        String key = freshKey();
        LimitSpec spec = LimitSpec.fixedWindow(2, Duration.ofSeconds(1));
        assertThat(snapshot(key, spec)).isEmpty();

        decide(key, spec, 2);
        decide(key, spec, 1);

        LimiterSnapshot snapshot = snapshot(key, spec).orElseThrow();
        assertThat(snapshot.remaining()).isZero();
        assertThat(snapshot.deniedThisWindow()).isEqualTo(1);
        assertThat(snapshot.used()).isEqualTo(2);
    }

    @Test
    void randomRuns_decideAsTheInMemoryLimiters() {
        for (long seed = 1; seed <= 4; seed++) {
            ManualClock referenceClock = new ManualClock(clock.nowNanos());
            KeyedRateLimiter reference =
                    KeyedRateLimiter.inMemory(LimiterRegistry.forSpecs(key -> SPECS.get(0), referenceClock)
                            .build());
            Random random = new Random(seed);
            String run = freshKey();
            List<Decision> held = new ArrayList<>(); // concurrency grants, released by their lease
            List<Long> heldPermits = new ArrayList<>();
            for (int step = 0; step < 300; step++) {
                LimitSpec spec = SPECS.get(random.nextInt(SPECS.size()));
                String key = run + "-" + spec.algorithm();
                long millis = random.nextInt(10) < 7 ? 0 : random.nextInt(60);
                clock.advance(Duration.ofMillis(millis));
                referenceClock.advance(Duration.ofMillis(millis));
                long permits = 1L + random.nextInt(3);
                if (random.nextInt(6) == 0) {
                    long lease = Decision.NO_LEASE;
                    if (spec instanceof ConcurrencySpec && !held.isEmpty()) {
                        int grant = random.nextInt(held.size());
                        lease = held.remove(grant).lease();
                        permits = heldPermits.remove(grant);
                    }
                    reference.release(key, spec, permits).toCompletableFuture().join();
                    limiter.release(key, spec, permits, lease)
                            .toCompletableFuture()
                            .join();
                    continue;
                }
                Decision expected = decide(reference, key, spec, permits);
                Decision actual = decide(key, spec, permits);
                if (spec instanceof ConcurrencySpec && actual.allowed()) {
                    held.add(actual);
                    heldPermits.add(permits);
                }
                String where = "seed " + seed + ", step " + step + ", " + spec;
                assertThat(actual.outcome()).as(where).isEqualTo(expected.outcome());
                assertThat(actual.remaining()).as(where).isEqualTo(expected.remaining());
                assertSameTime(where, actual.nanosUntilRetry(), expected.nanosUntilRetry());
                assertSameTime(where, actual.nanosUntilReset(), expected.nanosUntilReset());
            }
        }
    }

    private void assertSameTime(String where, long actual, long expected) {
        if (expected == Decision.NEVER) {
            assertThat(actual).as(where).isEqualTo(Decision.NEVER);
        } else {
            assertThat(actual).as(where).isBetween(expected, expected + timeResolutionNanos() - 1);
        }
    }
}
