package dev.gatehouse.core.adaptive;

import static dev.gatehouse.core.adaptive.AdaptiveLimiter.REJECTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdaptiveLimiterTest {

    private static final long MILLI = 1_000_000L;

    private final ManualClock clock = new ManualClock();

    private AdaptiveLimiter aimd(int initial) {
        return AdaptiveLimiter.create(new AdaptiveSpec(
                initial,
                1,
                1_000,
                new AdaptiveSpec.Aimd(0.5, Duration.ofSeconds(1).toNanos()),
                clock));
    }

    private static List<Long> acquire(AdaptiveLimiter limiter, int count) {
        List<Long> permits = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            permits.add(limiter.tryAcquire());
        }
        return permits;
    }

    @Test
    void tryAcquire_admitsUpToTheLimit_andIgnoredWorkFreesItsPermit() {
        AdaptiveLimiter limiter = aimd(3);
        List<Long> permits = acquire(limiter, 3);

        assertThat(permits).containsExactly(1L, 2L, 3L);
        assertThat(limiter.tryAcquire()).isEqualTo(REJECTED);
        limiter.onIgnored(permits.get(0));
        assertThat(limiter.inFlight()).isEqualTo(2);
        assertThat(limiter.limit()).isEqualTo(3);
        assertThat(limiter.tryAcquire()).isNotEqualTo(REJECTED);
        limiter.onIgnored(REJECTED); // harmless
        assertThat(limiter.inFlight()).isEqualTo(3);
    }

    @Test
    void aimd_successesAtTheLimitAddOnePermitPerLimitsWorth() {
        AdaptiveLimiter limiter = aimd(4);
        acquire(limiter, 3); // held: every further call starts with the limit in use

        for (int i = 0; i < 4; i++) {
            limiter.onSuccess(limiter.tryAcquire(), MILLI);
        }
        assertThat(limiter.limit()).isEqualTo(5);
        for (int i = 0; i < 4; i++) {
            limiter.onSuccess(limiter.tryAcquire(), MILLI);
        }
        assertThat(limiter.limit()).isEqualTo(5);
        limiter.onSuccess(limiter.tryAcquire(), MILLI);
        assertThat(limiter.limit()).isEqualTo(6);
    }

    @Test
    void aimd_idleSuccessesDoNotGrowTheLimit() {
        AdaptiveLimiter limiter = aimd(10);
        for (int i = 0; i < 100; i++) {
            limiter.onSuccess(limiter.tryAcquire(), MILLI); // one in flight of ten
        }

        assertThat(limiter.limit()).isEqualTo(10);
    }

    @Test
    void aimd_aBurstOfDropsBacksOffOncePerRoundTrip() {
        AdaptiveLimiter limiter = aimd(100);
        List<Long> permits = acquire(limiter, 100);

        for (long permit : permits.subList(0, 50)) {
            limiter.onDropped(permit, 10 * MILLI);
        }
        assertThat(limiter.limit()).isEqualTo(50);

        clock.advanceNanos(10 * MILLI);
        limiter.onDropped(permits.get(50), 10 * MILLI);
        assertThat(limiter.limit()).isEqualTo(25);
    }

    @Test
    void aimd_aSlowSampleCountsAsADrop() {
        AdaptiveLimiter limiter = aimd(10);

        limiter.onSuccess(limiter.tryAcquire(), Duration.ofSeconds(1).toNanos());

        assertThat(limiter.limit()).isEqualTo(5);
    }

    @Test
    void aimd_afterADeepDip_slowStartsBackToTheLevelBeforeIt() {
        AdaptiveLimiter limiter = aimd(64);
        for (int drop = 0; drop < 5; drop++) {
            limiter.onDropped(limiter.tryAcquire(), MILLI);
            clock.advanceNanos(MILLI);
        }
        assertThat(limiter.limit()).isEqualTo(2);

        int roundTrips = 0;
        while (limiter.limit() < 32) {
            for (long permit : acquire(limiter, limiter.limit())) {
                limiter.onSuccess(permit, MILLI);
            }
            roundTrips++;
        }

        // Additive increase would need 30 round trips from 2 to 32; the slow start doubles instead.
        assertThat(roundTrips).isLessThanOrEqualTo(6);
        int recovered = limiter.limit();
        for (int round = 0; round < 4; round++) {
            for (long permit : acquire(limiter, limiter.limit())) {
                limiter.onSuccess(permit, MILLI);
            }
        }
        assertThat(limiter.limit()).isBetween(recovered, recovered + 4); // then at most one per round trip
    }

    @Test
    void gradient_slowerCallsWhileTheLimitIsBarelyUsedDoNotShrinkIt() {
        AdaptiveLimiter limiter =
                AdaptiveLimiter.create(AdaptiveSpec.gradient(20, 1, 1_000).withClock(clock));
        // one call at a time of twenty allowed: what latency does then is the backend's own, no queue
        // this limit let build (a noisy fast upstream, a slow request now and then)
        for (int window = 0; window < 200; window++) {
            long rtt = window % 2 == 0 ? MILLI : 10 * MILLI;
            for (int i = 0; i < 10; i++) {
                limiter.onSuccess(limiter.tryAcquire(), rtt);
            }
            clock.advance(Duration.ofMillis(100)); // a window: ten samples and 100 ms
        }

        assertThat(limiter.limit()).isEqualTo(20);
    }

    @Test
    void gradient_slowerCallsWithTheLimitInUseShrinkIt() {
        AdaptiveLimiter limiter =
                AdaptiveLimiter.create(AdaptiveSpec.gradient(20, 1, 1_000).withClock(clock));
        List<Long> held = new ArrayList<>();
        int peak = 0;
        for (int window = 0; window < 20; window++) {
            while (held.size() * 2 < limiter.limit()) { // half the limit in use: the latency may be its queue
                held.add(limiter.tryAcquire());
            }
            long rtt = window < 10 ? MILLI : 10 * MILLI;
            for (int i = 0; i < 10; i++) {
                limiter.onSuccess(limiter.tryAcquire(), rtt);
            }
            clock.advance(Duration.ofMillis(100));
            peak = Math.max(peak, limiter.limit());
        }

        assertThat(peak).as("grown while fast and in use").isGreaterThan(20);
        assertThat(limiter.limit()).as("shrunk once slow").isLessThan(peak);
        held.forEach(limiter::onIgnored);
    }

    @Test
    void limit_staysWithinItsBounds() {
        AdaptiveLimiter limiter = AdaptiveLimiter.create(new AdaptiveSpec(
                4, 3, 5, new AdaptiveSpec.Aimd(0.5, Duration.ofSeconds(1).toNanos()), clock));
        for (int i = 0; i < 10; i++) {
            limiter.onDropped(limiter.tryAcquire(), MILLI);
            clock.advanceNanos(2 * MILLI);
        }
        assertThat(limiter.limit()).isEqualTo(3);

        for (int round = 0; round < 20; round++) {
            for (long permit : acquire(limiter, limiter.limit())) {
                limiter.onSuccess(permit, MILLI);
            }
        }
        assertThat(limiter.limit()).isEqualTo(5);
    }

    @Test
    void load_isUtilisation_orHowFarTheLimitShrankFromItsRecentPeak() {
        AdaptiveLimiter limiter = aimd(100);
        assertThat(limiter.load()).isZero();

        List<Long> permits = acquire(limiter, 75);
        assertThat(limiter.load()).isEqualTo(0.75);
        for (long permit : permits) {
            limiter.onIgnored(permit);
        }

        limiter.onDropped(limiter.tryAcquire(), MILLI); // limit 100 -> 50
        assertThat(limiter.load()).isEqualTo(0.5);
        clock.advance(Duration.ofSeconds(30)); // one half-life: the peak is 75 now
        assertThat(limiter.load()).isCloseTo(1 - 50 / 75.0, org.assertj.core.data.Offset.offset(1e-9));
        clock.advance(Duration.ofMinutes(30));
        assertThat(limiter.load()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void spec_rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> AdaptiveSpec.aimd(0, 1, 10))
                .hasMessage("initialLimit: 0 (expected: 1 <= initialLimit <= 10)");
        assertThatThrownBy(() -> AdaptiveSpec.aimd(5, 6, 5)).hasMessage("maxLimit: 5 (expected: >= 6)");
        assertThatThrownBy(() -> new AdaptiveSpec.Aimd(1.0, 1))
                .hasMessage("backoff: 1.0 (expected: 0.01 <= backoff <= 0.99)");
        assertThatThrownBy(() -> new AdaptiveSpec.Gradient(0.5, 0.2, 10, 0, 600, 20))
                .hasMessage("tolerance: 0.5 (expected: 1.0 <= tolerance <= 10.0)");
    }
}
