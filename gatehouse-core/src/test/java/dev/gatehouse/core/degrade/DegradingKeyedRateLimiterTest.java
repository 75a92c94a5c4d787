package dev.gatehouse.core.degrade;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DegradingKeyedRateLimiterTest {

    private static final LimitSpec TEN_PER_SECOND = LimitSpec.fixedWindow(10, Duration.ofSeconds(1));
    private static final LimitSpec TWO_AT_ONCE = LimitSpec.concurrency(2);
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(500);

    private final ManualClock clock = new ManualClock();
    private final FlakyStore store = new FlakyStore(memory());
    private final StoreHealth health = StoreHealth.create("test store", store::probe, clock, PROBE_INTERVAL);

    private KeyedRateLimiter memory() {
        return KeyedRateLimiter.inMemory(
                LimiterRegistry.forSpecs(key -> TEN_PER_SECOND, clock).build());
    }

    private KeyedRateLimiter degrading(Fallback fallback) {
        return DegradingKeyedRateLimiter.create(store, health, fallback);
    }

    private static Decision decide(KeyedRateLimiter limiter) {
        return limiter.decide("k", TEN_PER_SECOND, 1).toCompletableFuture().join();
    }

    private static Decision decide(KeyedRateLimiter limiter, LimitSpec spec) {
        return limiter.decide("k", spec, 1).toCompletableFuture().join();
    }

    private static void release(KeyedRateLimiter limiter, LimitSpec spec, Decision grant) {
        limiter.release("k", spec, 1, grant.lease()).toCompletableFuture().join();
    }

    private static long usedOf(KeyedRateLimiter limiter, LimitSpec spec) {
        return limiter.snapshot("k", spec)
                .toCompletableFuture()
                .join()
                .map(LimiterSnapshot::used)
                .orElse(0L);
    }

    /** The store answers again and the probe finds it. */
    private void recover() {
        store.down = false;
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isTrue();
    }

    private static long allowedOf(KeyedRateLimiter limiter, int attempts) {
        long allowed = 0;
        for (int i = 0; i < attempts; i++) {
            allowed += decide(limiter).allowed() ? 1 : 0;
        }
        return allowed;
    }

    @Test
    void healthyStore_decides() {
        KeyedRateLimiter limiter = degrading(Fallback.failOpen());

        assertThat(allowedOf(limiter, 12)).isEqualTo(10);
        assertThat(health.healthy()).isTrue();
    }

    @Test
    void failOpen_storeDown_allowsEverything_withoutException() {
        KeyedRateLimiter limiter = degrading(Fallback.failOpen());
        store.down = true;

        assertThat(allowedOf(limiter, 50)).isEqualTo(50);
        assertThat(health.state()).isEqualTo(StoreHealth.State.DEGRADED);
        assertThat(health.outages()).isEqualTo(1);
    }

    @Test
    void failClosed_storeDown_deniesWithARetryAfterTheProbeInterval() {
        KeyedRateLimiter limiter = degrading(Fallback.failClosed());
        store.down = true;

        Decision decision = decide(limiter);

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.nanosUntilRetry()).isEqualTo(PROBE_INTERVAL.toNanos());
        assertThat(allowedOf(limiter, 20)).isZero();
    }

    @Test
    void local_storeDown_eachNodeEnforcesItsShare() {
        KeyedRateLimiter limiter = degrading(Fallback.local(memory(), 2));
        store.down = true;

        assertThat(allowedOf(limiter, 20)).isEqualTo(5);
        clock.advance(Duration.ofSeconds(1));
        assertThat(allowedOf(limiter, 20)).isEqualTo(5);
    }

    @Test
    void degraded_doesNotAskTheStoreAgain_untilTheProbeSucceeds() {
        KeyedRateLimiter limiter = degrading(Fallback.failOpen());
        store.down = true;
        allowedOf(limiter, 10);

        assertThat(store.calls()).isEqualTo(1);
        clock.advance(PROBE_INTERVAL.multipliedBy(3));
        assertThat(health.healthy()).isFalse();
    }

    @Test
    void recovery_isDetectedByTheProbe_andTheStoreDecidesAgain() {
        KeyedRateLimiter limiter = degrading(Fallback.failOpen());
        List<String> changes = new ArrayList<>();
        health.addListener((from, to, cause) -> changes.add(from + "->" + to));
        store.down = true;
        allowedOf(limiter, 30);

        store.down = false;
        clock.advance(PROBE_INTERVAL);

        assertThat(health.healthy()).isTrue();
        assertThat(changes).containsExactly("HEALTHY->DEGRADED", "DEGRADED->HEALTHY");
        assertThat(allowedOf(limiter, 12)).isEqualTo(10);
    }

    @Test
    void recoveryTask_thatFails_keepsTheStoreDegraded_untilItSucceeds() {
        int[] attempts = {0};
        health.onRecovery(() -> {
            if (++attempts[0] < 3) {
                throw new IllegalStateException("write-back failed");
            }
        });
        store.down = true;
        decide(degrading(Fallback.failOpen()));
        store.down = false;

        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isFalse();
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isFalse();
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isTrue();
        assertThat(attempts[0]).isEqualTo(4); // once more after turning healthy
    }

    @Test
    void throwingListener_doesNotStopTheOthers() {
        List<String> seen = new ArrayList<>();
        health.addListener((from, to, cause) -> {
            throw new IllegalStateException("listener bug");
        });
        health.addListener((from, to, cause) -> seen.add(to.name()));

        health.reportFailure(new IllegalStateException("down"));

        assertThat(seen).containsExactly("DEGRADED");
    }

    @Test
    void local_grantDuringOutage_releasedAfterRecovery_goesBackToTheLocalShare() {
        KeyedRateLimiter local = memory();
        KeyedRateLimiter limiter = degrading(Fallback.local(local, 2)); // a share of 1 of TWO_AT_ONCE
        store.down = true;
        Decision duringOutage = decide(limiter, TWO_AT_ONCE); // from the local share
        recover();
        decide(limiter, TWO_AT_ONCE); // both of the store's permits are taken now
        decide(limiter, TWO_AT_ONCE);

        release(limiter, TWO_AT_ONCE, duringOutage);

        assertThat(duringOutage.lease()).isNegative();
        assertThat(decide(limiter, TWO_AT_ONCE).allowed()).isFalse(); // the store's holders still run
        assertThat(store.releasesOfGoneGrants()).isZero();
        assertThat(usedOf(local, TWO_AT_ONCE)).isZero(); // no phantom permit left in the local share
    }

    @Test
    void storeGrant_releasedDuringOutage_isQueued_andSentWhenTheStoreAnswersAgain() {
        KeyedRateLimiter local = memory();
        DegradingKeyedRateLimiter limiter = DegradingKeyedRateLimiter.create(store, health, Fallback.local(local, 2));
        Decision beforeOutage = decide(limiter, TWO_AT_ONCE);
        Decision alsoBefore = decide(limiter, TWO_AT_ONCE);
        store.down = true;
        Decision local1 = decide(limiter, TWO_AT_ONCE); // the local share's one permit

        release(limiter, TWO_AT_ONCE, beforeOutage);

        assertThat(limiter.queuedReleases()).isEqualTo(1);
        assertThat(decide(limiter, TWO_AT_ONCE).allowed()).isFalse(); // the local share did not get it
        recover();
        assertThat(limiter.queuedReleases()).isZero();
        assertThat(store.liveLeases()).isEqualTo(1);
        assertThat(decide(limiter, TWO_AT_ONCE).allowed()).isTrue(); // the store got it back
        assertThat(decide(limiter, TWO_AT_ONCE).allowed()).isFalse();
        assertThat(local1.lease()).isNegative();
        assertThat(alsoBefore.lease()).isPositive();
    }

    @Test
    void storeGrant_releaseFailingAsUnavailable_isQueued_andRetriedUntilTheStoreTakesIt() {
        DegradingKeyedRateLimiter limiter = DegradingKeyedRateLimiter.create(store, health, Fallback.failClosed());
        Decision granted = decide(limiter, TWO_AT_ONCE);
        store.down = true;

        release(limiter, TWO_AT_ONCE, granted); // the store looked healthy: the release fails, degrades it, waits

        assertThat(health.healthy()).isFalse();
        assertThat(limiter.queuedReleases()).isEqualTo(1);
        clock.advance(PROBE_INTERVAL); // still down: the probe fails, the release keeps waiting
        assertThat(limiter.queuedReleases()).isEqualTo(1);
        store.down = false;
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isTrue();
        assertThat(limiter.queuedReleases()).isZero();
        assertThat(store.liveLeases()).isZero();
        assertThat(store.releasesOfGoneGrants()).isZero();
    }

    /**
     * A store whose probe answers while it still refuses releases at once (a client that rejects
     * commands while it reconnects fails them before returning): the recovery sends the queued
     * release once and leaves it for the next probe, instead of asking again in a loop that grows
     * until the heap is gone.
     */
    @Test
    void aQueuedReleaseRefusedAtOnceOnRecovery_waitsForTheNextProbe_insteadOfBeingRetriedInALoop() {
        AtomicInteger releases = new AtomicInteger();
        KeyedRateLimiter refusingReleases = new KeyedRateLimiter() {
            @Override
            public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
                return store.decide(key, spec, permits);
            }

            @Override
            public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
                return releases.incrementAndGet() < 1_000
                        ? CompletableFuture.failedFuture(new LimiterUnavailableException("reconnecting", null))
                        : store.release(key, spec, permits, lease);
            }

            @Override
            public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
                return store.snapshot(key, spec);
            }
        };
        StoreHealth answersProbes = StoreHealth.create("answers probes", () -> {}, clock, PROBE_INTERVAL);
        DegradingKeyedRateLimiter limiter =
                DegradingKeyedRateLimiter.create(refusingReleases, answersProbes, Fallback.failClosed());
        Decision granted = decide(limiter, TWO_AT_ONCE);
        release(limiter, TWO_AT_ONCE, granted); // refused: the store is degraded, the release waits
        assertThat(answersProbes.healthy()).isFalse();
        int before = releases.get();

        clock.advance(PROBE_INTERVAL); // the probe answers; the recovery's release is refused again

        assertThat(releases.get() - before).isEqualTo(1);
        assertThat(limiter.queuedReleases()).isEqualTo(1);
        assertThat(answersProbes.healthy()).isFalse();
    }

    @Test
    void failOpen_grantDuringOutage_releasedAfterRecovery_freesNothingInTheStore() {
        KeyedRateLimiter limiter = degrading(Fallback.failOpen());
        LimitSpec one = LimitSpec.concurrency(1);
        store.down = true;
        Decision allowedBlindly = decide(limiter, one);
        recover();
        decide(limiter, one); // the store's one permit

        release(limiter, one, allowedBlindly);

        assertThat(decide(limiter, one).allowed()).isFalse();
        assertThat(store.liveLeases()).isEqualTo(1);
    }

    @Test
    void queuedReleases_beyondTheBound_areDroppedAndCounted() {
        DegradingKeyedRateLimiter limiter = DegradingKeyedRateLimiter.create(store, health, Fallback.failClosed());
        LimitSpec many = LimitSpec.concurrency(DegradingKeyedRateLimiter.MAX_QUEUED_RELEASES + 1);
        List<Decision> grants = new ArrayList<>();
        for (int i = 0; i <= DegradingKeyedRateLimiter.MAX_QUEUED_RELEASES; i++) {
            grants.add(decide(limiter, many));
        }
        store.down = true;

        grants.forEach(grant -> limiter.release("k", many, 1, grant.lease()));

        assertThat(limiter.queuedReleases()).isEqualTo(DegradingKeyedRateLimiter.MAX_QUEUED_RELEASES);
        assertThat(limiter.droppedReleases()).isEqualTo(1);
        recover();
        assertThat(store.liveLeases()).isEqualTo(1); // the dropped one waits for its lease to end
    }

    @Test
    void releaseNamingNoLease_followsTheHealth() {
        KeyedRateLimiter local = memory();
        KeyedRateLimiter limiter = degrading(Fallback.local(local, 1));
        decide(limiter, TWO_AT_ONCE);
        store.down = true;
        decide(limiter, TWO_AT_ONCE); // degrades the store; granted locally

        limiter.release("k", TWO_AT_ONCE, 1).toCompletableFuture().join(); // degraded: to the local share

        assertThat(usedOf(local, TWO_AT_ONCE)).isZero();
        assertThat(store.liveLeases()).isEqualTo(1);
    }

    @Test
    void local_shareOf_dividesLimitsAndRates() {
        Fallback.Local local = (Fallback.Local) Fallback.local(memory(), 3);

        assertThat(local.shareOf(LimitSpec.fixedWindow(10, Duration.ofSeconds(1))))
                .isEqualTo(LimitSpec.fixedWindow(3, Duration.ofSeconds(1)));
        assertThat(local.shareOf(LimitSpec.tokenBucket(30, 90, Duration.ofSeconds(1))))
                .isEqualTo(LimitSpec.tokenBucket(10, 30, Duration.ofSeconds(1)));
        assertThat(local.shareOf(LimitSpec.concurrency(2))).isEqualTo(LimitSpec.concurrency(1));
        assertThat(local.shareOf(LimitSpec.slidingWindow(300, Duration.ofMinutes(1))))
                .isEqualTo(LimitSpec.slidingWindow(100, Duration.ofMinutes(1)));
    }
}
