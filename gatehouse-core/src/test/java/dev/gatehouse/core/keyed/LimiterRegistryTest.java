package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.wait.WaitingLimiter;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class LimiterRegistryTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = new ManualClock();

    private LimiterRegistry.Builder<LimitSpec, RateLimiter> registry(Function<String, LimitSpec> policy) {
        return LimiterRegistry.forSpecs(policy, clock);
    }

    private static LimitSpec perSecond(long max) {
        return LimitSpec.fixedWindow(max, Duration.ofSeconds(1));
    }

    /** The key's limiter, held for a moment: enough for single-threaded tests. */
    private static <L extends RateLimiter> L limiter(LimiterRegistry<?, L> limiters, String key) {
        try (LimiterRegistry.Held<L> held = limiters.hold(key)) {
            return held.limiter();
        }
    }

    private static <S, L extends RateLimiter> L limiter(LimiterRegistry<S, L> limiters, String key, S spec) {
        try (LimiterRegistry.Held<L> held = limiters.hold(key, spec)) {
            return held.limiter();
        }
    }

    @Test
    void limiter_justCreatedWithNoIdleTime_isNotSweptByItsOwnInsert() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> LimitSpec.concurrency(1)).build();

        assertThat(limiter(limiters, "a").tryAcquire()).isTrue();
        assertThat(limiter(limiters, "a").tryAcquire()).isFalse();
        assertThat(limiter(limiters, "b", LimitSpec.concurrency(1)).tryAcquire())
                .isTrue();
        assertThat(limiter(limiters, "b", LimitSpec.concurrency(1)).tryAcquire())
                .isFalse();
    }

    @Test
    void limiter_isCreatedOnDemandFromThePolicy_andReused() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> perSecond(key.startsWith("vip-") ? 10 : 1)).build();

        RateLimiter guest = limiter(limiters, "guest");

        assertThat(limiter(limiters, "guest")).isSameAs(guest);
        assertThat(guest.spec().limit()).isEqualTo(1);
        assertThat(limiter(limiters, "vip-1").spec().limit()).isEqualTo(10);
        assertThat(limiters.size()).isEqualTo(2);
        assertThat(limiters.snapshot("nobody")).isEmpty();
        assertThat(limiters.size()).isEqualTo(2);
    }

    @Test
    void sweep_evictsKeysIdleForTheirIdleTime() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> perSecond(5)).idleTime(spec -> 2 * SECOND).build();
        limiter(limiters, "a").tryAcquire();
        clock.advanceNanos(SECOND / 2);
        limiter(limiters, "b").tryAcquire();

        clock.advanceNanos(SECOND / 2 + 2 * SECOND - 1); // "a" reclaimable at 1 s, idle for 2 s - 1 ns
        assertThat(limiters.sweep(100)).isZero();
        clock.advanceNanos(1);
        assertThat(limiters.sweep(100)).isEqualTo(1);
        assertThat(limiters.snapshot("a")).isEmpty();
        assertThat(limiters.snapshot("b")).isPresent();
        clock.advanceNanos(SECOND / 2);
        limiters.sweep(100);
        assertThat(limiters.size()).isZero();
        assertThat(limiters.evictions()).isEqualTo(2);
    }

    @Test
    void sweep_evictsTokenBucketsFullForTheirIdleTime() {
        // a bucket is idle from when it is full again: it said "from now" at every look, so an idle
        // time above zero never passed and no token bucket was ever swept
        LimiterRegistry<LimitSpec, RateLimiter> limiters = registry(
                        key -> LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1)))
                .idleTime(spec -> SECOND)
                .build();
        limiter(limiters, "a").tryAcquire(); // full again at 1 s
        limiter(limiters, "b").tryAcquire(2); // at 2 s

        clock.advanceNanos(2 * SECOND - 1);
        assertThat(limiters.sweep(100)).isZero();
        clock.advanceNanos(1);
        assertThat(limiters.sweep(100)).isEqualTo(1);
        assertThat(limiters.snapshot("a")).isEmpty();
        clock.advanceNanos(SECOND - 1);
        assertThat(limiters.sweep(100)).isZero();
        clock.advanceNanos(1);
        assertThat(limiters.sweep(100)).isEqualTo(1);
    }

    @Test
    void sweep_evictsTokenBucketsIdleLongerThanTheirStateTells() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = registry(
                        key -> LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1)))
                .idleTime(spec -> SECOND)
                .build();
        limiter(limiters, "a").tryAcquire();

        clock.advanceNanos(1_000 * SECOND); // far past the refill time: the bucket's words may have aliased
        assertThat(limiters.sweep(100)).isEqualTo(1);
    }

    @Test
    void sweep_walksInBoundedSteps() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> perSecond(5)).maximumKeys(10_000).build();
        for (int i = 0; i < 100; i++) {
            limiter(limiters, "k" + i).tryAcquire();
        }
        clock.advanceNanos(10 * SECOND);

        int evicted = 0;
        int calls = 0;
        while (limiters.size() > 0) {
            int step = limiters.sweep(7);
            assertThat(step).isLessThanOrEqualTo(7);
            evicted += step;
            calls++;
        }
        assertThat(evicted).isGreaterThanOrEqualTo(98); // inserts swept some on the way
        assertThat(calls).isGreaterThanOrEqualTo(14);
    }

    @Test
    void millionsOfRandomKeys_keepTheRegistryWithinItsBound() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = registry(
                        key -> LimitSpec.tokenBucket(10, 1, Duration.ofSeconds(1)))
                .maximumKeys(10_000)
                .build();
        ThreadLocalRandom random = ThreadLocalRandom.current();

        for (int i = 0; i < 1_500_000; i++) {
            limiter(limiters, Long.toHexString(random.nextLong())).tryAcquire();
            if ((i & 0xFFFF) == 0) {
                assertThat(limiters.size()).isLessThanOrEqualTo(10_000);
            }
            clock.advanceNanos(1_000);
        }

        assertThat(limiters.size()).isLessThanOrEqualTo(10_000);
        assertThat(limiters.evictions()).isGreaterThanOrEqualTo(1_490_000);
    }

    @Test
    void concurrentFloodOfKeys_staysWithinItsBound() throws InterruptedException {
        LimiterRegistry<LimitSpec, RateLimiter> limiters = LimiterRegistry.forSpecs(
                        key -> perSecond(1), NanoClock.system())
                .maximumKeys(5_000)
                .build();
        Race.run(4, () -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < 250_000; i++) {
                limiter(limiters, Long.toHexString(random.nextLong())).tryAcquire();
            }
        });

        assertThat(limiters.size()).isLessThanOrEqualTo(5_000);
    }

    @Test
    void eviction_sparesKeysWithWaiters() {
        LimiterRegistry<LimitSpec, WaitingLimiter> limiters = LimiterRegistry.<LimitSpec, WaitingLimiter>builder(
                        key -> perSecond(1),
                        spec -> WaitingLimiter.create(spec.newLimiter(clock), 10, clock),
                        WaitingLimiter::spec)
                .clock(clock)
                .maximumKeys(1)
                .build();
        WaitingLimiter busy = limiter(limiters, "busy");
        busy.acquire(1, Long.MAX_VALUE);
        busy.acquire(1, Long.MAX_VALUE);

        assertThat(limiters.hold("newcomer")).isNull();
        assertThat(limiters.hold("another")).isNull();

        assertThat(limiter(limiters, "busy")).isSameAs(busy);
        assertThat(limiters.refusals()).isEqualTo(2);
        assertThat(limiters.size()).isEqualTo(1);
        assertThat(limiters.sweep(10)).isZero();
    }

    @Test
    void reconfigure_keepsTheStateOfUnchangedKeysAndReplacesChangedOnes() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> perSecond(2)).build();
        RateLimiter kept = limiter(limiters, "kept");
        RateLimiter changed = limiter(limiters, "user-1");
        kept.tryAcquire(2);
        changed.tryAcquire(2);

        limiters.reconfigure(key -> perSecond(key.startsWith("user-") ? 5 : 2));

        assertThat(limiter(limiters, "kept")).isSameAs(kept);
        assertThat(limiter(limiters, "kept").tryAcquire()).isFalse();
        assertThat(limiter(limiters, "user-1")).isNotSameAs(changed);
        assertThat(limiter(limiters, "user-1").tryAcquire(3)).isTrue(); // the 2 taken this window still count
        assertThat(limiter(limiters, "user-1").tryAcquire()).isFalse();
        assertThat(limiter(limiters, "user-2").spec().limit()).isEqualTo(5);
    }

    @Test
    void override_sticksToTheKeyUntilReconfigured() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> perSecond(2)).build();
        RateLimiter overridden = limiter(limiters, "k", perSecond(7));
        overridden.tryAcquire(3);

        assertThat(limiter(limiters, "k")).isSameAs(overridden);
        assertThat(limiter(limiters, "k", perSecond(7))).isSameAs(overridden);
        assertThat(limiters.spec("k")).contains(perSecond(7));

        limiters.reconfigure(key -> perSecond(2));
        assertThat(limiter(limiters, "k").spec()).isEqualTo(perSecond(2));
    }

    @Test
    void snapshot_showsEveryKeyInOrder() {
        LimiterRegistry<LimitSpec, RateLimiter> limiters =
                registry(key -> perSecond(3)).build();
        limiter(limiters, "b").tryAcquire(2);
        limiter(limiters, "a").tryAcquire();

        assertThat(limiters.snapshot()).containsOnlyKeys("a", "b");
        assertThat(limiters.snapshot().keySet()).containsExactly("a", "b");
        assertThat(limiters.snapshot("b").orElseThrow().used()).isEqualTo(2);
    }

    @Test
    void builder_rejectsBadValues() {
        assertThatThrownBy(() -> registry(key -> perSecond(1)).maximumKeys(0))
                .hasMessage("maximumKeys: 0 (expected: >= 1)");
        assertThatThrownBy(() -> registry(key -> perSecond(1)).idleTime(Duration.ofSeconds(-1)))
                .hasMessage("idleTime: PT-1S (expected: >= PT0S)");
    }
}
