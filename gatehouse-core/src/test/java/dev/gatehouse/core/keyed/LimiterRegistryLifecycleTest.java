package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.testing.ForwardingRateLimiter;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A key's limiter across eviction, spec changes and a full registry: use and housekeeping never overlap. */
class LimiterRegistryLifecycleTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = new ManualClock();

    private static boolean take(LimiterRegistry<LimitSpec, RateLimiter> limiters, String key, LimitSpec spec, long n) {
        try (LimiterRegistry.Held<RateLimiter> held = limiters.hold(key, spec)) {
            return held != null && held.limiter().tryAcquire(n);
        }
    }

    // --- eviction never overlaps a use -------------------------------------------------------------

    @Test
    void sweep_whileTheKeyIsHeld_leavesItAndItsPermit() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = LimiterRegistry.forSpecs(
                        k -> LimitSpec.concurrency(1), clock)
                .idleTime(Duration.ofSeconds(1))
                .build();
        take(limiters, "k", LimitSpec.concurrency(1), 1);
        try (LimiterRegistry.Held<RateLimiter> held = limiters.holdExisting("k")) {
            held.limiter().release(1);
        }
        clock.advanceNanos(2 * SECOND); // idle for longer than its idle time

        try (LimiterRegistry.Held<RateLimiter> a = limiters.hold("k")) { // request A holds the key ...
            assertThat(limiters.sweep(10)).isZero(); // ... so the sweeper cannot evict it ...
            assertThat(a.limiter().tryAcquire(1)).isTrue(); // ... and A's permit is counted where B looks
        }
        assertThat(take(limiters, "k", LimitSpec.concurrency(1), 1)).isFalse(); // B
        assertThat(limiters.evictions()).isZero();
    }

    @Test
    void sweep_afterTheUseEnds_evictsAndTheNextUseGetsAFreshLimiter() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = LimiterRegistry.forSpecs(
                        k -> LimitSpec.fixedWindow(1, Duration.ofSeconds(1)), clock)
                .build();
        RateLimiter first;
        try (LimiterRegistry.Held<RateLimiter> held = limiters.hold("k")) {
            first = held.limiter();
            assertThat(first.tryAcquire(1)).isTrue();
        }
        clock.advanceNanos(2 * SECOND);

        assertThat(limiters.sweep(10)).isEqualTo(1);

        try (LimiterRegistry.Held<RateLimiter> held = limiters.hold("k")) {
            assertThat(held.limiter()).isNotSameAs(first);
        }
    }

    /**
     * Three threads take and give back the one permit of a concurrency key while a fourth sweeps
     * with no idle time: a limiter evicted between a lookup and its use would let two in at once.
     */
    @RepeatedTest(5)
    void decideAndSweep_manyThreads_neverTwoHoldersUnderALimitOfOne() throws Exception {
        LimiterRegistry<LimitSpec, RateLimiter> registry = LimiterRegistry.forSpecs(
                        k -> LimitSpec.concurrency(1), NanoClock.system())
                .build();
        KeyedRateLimiter port = KeyedRateLimiter.inMemory(registry);
        LimitSpec spec = LimitSpec.concurrency(1);
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread sweeper = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                registry.sweep(16);
            }
        });
        try {
            Race.run(3, () -> {
                for (int i = 0; i < 50_000 || registry.evictions() == 0 && i < 2_000_000; i++) {
                    if (port.decide("k", spec, 1).toCompletableFuture().join().allowed()) {
                        mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                        holders.decrementAndGet();
                        port.release("k", spec, 1);
                    }
                }
            });
        } finally {
            stop.set(true);
            sweeper.join();
        }
        assertThat(mostHolders).hasValue(1);
        assertThat(registry.evictions()).isPositive(); // the sweeper did evict between uses
    }

    // --- a changed spec keeps what is counted -------------------------------------------------------

    @Test
    void override_raisingAConcurrencyLimit_keepsTheCallsInFlight() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                LimiterRegistry.forSpecs(k -> LimitSpec.concurrency(2), clock).build();
        assertThat(take(limiters, "k", LimitSpec.concurrency(2), 2)).isTrue();

        assertThat(take(limiters, "k", LimitSpec.concurrency(3), 1)).isTrue();
        assertThat(take(limiters, "k", LimitSpec.concurrency(3), 1)).isFalse(); // 2 + 1 in flight

        try (LimiterRegistry.Held<RateLimiter> held = limiters.holdExisting("k")) {
            held.limiter().release(3);
            assertThat(held.limiter().snapshot().used()).isZero();
        }
    }

    @Test
    void reconfigure_loweringAConcurrencyLimit_admitsNobodyUntilEnoughAreReleased() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                LimiterRegistry.forSpecs(k -> LimitSpec.concurrency(3), clock).build();
        take(limiters, "k", LimitSpec.concurrency(3), 3);

        limiters.reconfigure(k -> LimitSpec.concurrency(1));

        try (LimiterRegistry.Held<RateLimiter> held = limiters.hold("k")) {
            assertThat(held.limiter().tryAcquire()).isFalse();
            held.limiter().release(2);
            assertThat(held.limiter().tryAcquire()).isFalse(); // still one in flight
            held.limiter().release(1);
            assertThat(held.limiter().tryAcquire()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fixed_window", "sliding_window"})
    void override_sameWindowLength_keepsTheCountOfTheWindow(String algorithm) {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                LimiterRegistry.forSpecs(k -> window(algorithm, 5), clock).build();
        assertThat(take(limiters, "k", window(algorithm, 5), 4)).isTrue();

        assertThat(take(limiters, "k", window(algorithm, 6), 2)).isTrue();
        assertThat(take(limiters, "k", window(algorithm, 6), 1)).isFalse(); // 4 + 2 this window
    }

    @Test
    void override_fixedWindowOfTheSameLength_rollsWhenTheKeysWindowEnds() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                LimiterRegistry.forSpecs(k -> window("fixed_window", 5), clock).build();
        assertThat(take(limiters, "k", window("fixed_window", 5), 5)).isTrue(); // the key's window starts now
        clock.advanceNanos(SECOND / 2);
        assertThat(take(limiters, "k", window("fixed_window", 6), 1)).isTrue();

        clock.advanceNanos(SECOND / 2); // a second after the key's first call, not after the change

        assertThat(take(limiters, "k", window("fixed_window", 6), 6)).isTrue();
    }

    @Test
    void override_otherWindowLength_carriesTheCountIntoANewWindow() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = LimiterRegistry.forSpecs(
                        k -> LimitSpec.fixedWindow(5, Duration.ofSeconds(1)), clock)
                .build();
        assertThat(take(limiters, "k", LimitSpec.fixedWindow(5, Duration.ofSeconds(1)), 5))
                .isTrue();

        LimitSpec longer = LimitSpec.fixedWindow(8, Duration.ofSeconds(10));
        assertThat(take(limiters, "k", longer, 3)).isTrue();
        assertThat(take(limiters, "k", longer, 1)).isFalse();
    }

    @Test
    void override_tokenBucket_keepsTheMissingTokens() {
        LimitSpec small = LimitSpec.tokenBucket(5, 1, Duration.ofSeconds(1));
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                LimiterRegistry.forSpecs(k -> small, clock).build();
        assertThat(take(limiters, "k", small, 5)).isTrue();

        LimitSpec bigger = LimitSpec.tokenBucket(8, 1, Duration.ofSeconds(1));
        assertThat(take(limiters, "k", bigger, 3)).isTrue();
        assertThat(take(limiters, "k", bigger, 1)).isFalse();
    }

    @Test
    void override_otherAlgorithm_startsFresh() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                LimiterRegistry.forSpecs(k -> LimitSpec.concurrency(1), clock).build();
        take(limiters, "k", LimitSpec.concurrency(1), 1);

        assertThat(take(limiters, "k", LimitSpec.fixedWindow(1, Duration.ofSeconds(1)), 1))
                .isTrue();
    }

    /** Two threads keep switching a concurrency key between two limits while four take and give back permits. */
    @RepeatedTest(5)
    void overrideAndDecide_manyThreads_neverMoreInFlightThanTheLargerLimit() throws Exception {
        LimiterRegistry<LimitSpec, RateLimiter> registry = LimiterRegistry.forSpecs(
                        k -> LimitSpec.concurrency(2), NanoClock.system())
                .build();
        KeyedRateLimiter port = KeyedRateLimiter.inMemory(registry);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        AtomicLong admitted = new AtomicLong();
        Race.run(6, () -> {
            boolean switcher = Thread.currentThread().threadId() % 3 == 0;
            for (int i = 0; i < 20_000; i++) {
                LimitSpec spec = LimitSpec.concurrency(switcher && i % 2 == 0 ? 3 : 2);
                Decision decision =
                        port.decide("k", spec, 1).toCompletableFuture().join();
                if (decision.allowed()) {
                    admitted.incrementAndGet();
                    mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    inFlight.decrementAndGet();
                    port.release("k", spec, 1);
                }
            }
        });
        assertThat(mostInFlight.get()).isLessThanOrEqualTo(3);
        assertThat(admitted).hasPositiveValue();
        assertThat(port.snapshot("k", LimitSpec.concurrency(2))
                        .toCompletableFuture()
                        .join())
                .hasValueSatisfying(state -> assertThat(state.used()).isZero()); // no permit lost or leaked
    }

    // --- the bound holds even when every key is busy ------------------------------------------------

    @Test
    void hold_pastTheBoundWithEveryKeyBusy_refusesNewKeys() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = LimiterRegistry.forSpecs(
                        k -> LimitSpec.concurrency(1), clock)
                .maximumKeys(100)
                .build();
        KeyedRateLimiter port = KeyedRateLimiter.inMemory(limiters);

        int refused = 0;
        for (int i = 0; i < 20_000; i++) { // never released: every key stays busy
            Decision decision = port.decide("k" + i, LimitSpec.concurrency(1), 1)
                    .toCompletableFuture()
                    .join();
            if (decision.outcome() == Decision.Outcome.TOO_MANY_KEYS) {
                refused++;
            }
        }

        assertThat(limiters.size()).isEqualTo(100);
        assertThat(refused).isEqualTo(19_900);
        assertThat(limiters.refusals()).isEqualTo(19_900);
        port.release("k7", LimitSpec.concurrency(1), 1); // one key becomes idle: room for one newcomer
        boolean admitted = false;
        for (int attempt = 0; attempt < 4 && !admitted; attempt++) { // samples rotate through the keys
            admitted = port.decide("newcomer", LimitSpec.concurrency(1), 1)
                    .toCompletableFuture()
                    .join()
                    .allowed();
        }
        assertThat(admitted).isTrue();
        assertThat(limiters.size()).isEqualTo(100);
    }

    // --- sweeping costs in proportion to live keys --------------------------------------------------

    @Test
    void sweep_afterAFloodOfKeys_looksAtEachLiveKeyAtMostOncePerCall() {
        AtomicLong looks = new AtomicLong();
        LimiterRegistry<LimitSpec, RateLimiter> limiters = LimiterRegistry.<LimitSpec, RateLimiter>builder(
                        k -> LimitSpec.fixedWindow(1, Duration.ofSeconds(1)),
                        spec -> new CountingLooks(spec.newLimiter(clock), looks),
                        RateLimiter::spec)
                .clock(clock)
                .build();
        for (int i = 0; i < 200_000; i++) {
            take(limiters, "flood-" + i, LimitSpec.fixedWindow(1, Duration.ofSeconds(1)), 1);
        }
        clock.advanceNanos(2 * SECOND);
        while (limiters.size() > 0) {
            limiters.sweep(4096);
        }
        take(limiters, "live", LimitSpec.fixedWindow(1, Duration.ofSeconds(1)), 1);
        looks.set(0);

        assertThat(limiters.sweep(4096)).isZero();

        assertThat(looks.get()).isLessThanOrEqualTo(2); // one look at the one live key (and its recheck)
    }

    private static LimitSpec window(String algorithm, long max) {
        return algorithm.equals("fixed_window")
                ? LimitSpec.fixedWindow(max, Duration.ofSeconds(1))
                : LimitSpec.slidingWindow(max, Duration.ofSeconds(1));
    }

    /** Counts how often housekeeping asks a limiter whether it is reclaimable. */
    private static final class CountingLooks extends ForwardingRateLimiter {
        private final AtomicLong looks;

        CountingLooks(RateLimiter inner, AtomicLong looks) {
            super(inner);
            this.looks = looks;
        }

        @Override
        public long reclaimableAtNanos() {
            looks.incrementAndGet();
            return super.reclaimableAtNanos();
        }
    }
}
