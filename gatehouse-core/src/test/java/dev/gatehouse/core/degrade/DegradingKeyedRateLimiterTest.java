package dev.gatehouse.core.degrade;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedLimiters;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DegradingKeyedRateLimiterTest {

    private static final LimitSpec TEN_PER_SECOND = LimitSpec.fixedWindow(10, Duration.ofSeconds(1));
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(500);

    private final ManualClock clock = new ManualClock();
    private final FlakyStore store = new FlakyStore(memory());
    private final StoreHealth health = StoreHealth.create("test store", store::probe, clock, PROBE_INTERVAL);

    private KeyedRateLimiter memory() {
        return KeyedRateLimiter.inMemory(
                KeyedLimiters.forSpecs(key -> TEN_PER_SECOND, clock).build());
    }

    private KeyedRateLimiter degrading(Fallback fallback) {
        return DegradingKeyedRateLimiter.create(store, health, fallback);
    }

    private static Decision decide(KeyedRateLimiter limiter) {
        return limiter.decide("k", TEN_PER_SECOND, 1).toCompletableFuture().join();
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

        assertThat(store.calls).isEqualTo(1);
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
