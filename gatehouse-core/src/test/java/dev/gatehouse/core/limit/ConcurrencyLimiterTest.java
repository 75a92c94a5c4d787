package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import org.junit.jupiter.api.Test;

class ConcurrencyLimiterTest {

    private final ManualClock clock = new ManualClock();
    private final RateLimiter limiter = LimitSpec.concurrency(2).newLimiter(clock);

    @Test
    void inFlightPermits_areLimitedUntilReleased() {
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.decide(1))
                .isEqualTo(new Decision(Decision.Outcome.DENIED, 0, Decision.NEVER, Decision.NEVER));

        limiter.release(1);

        assertThat(limiter.tryAcquire()).isTrue();
    }

    @Test
    void permit_releasedTwice_isHarmless() {
        Permit first = limiter.tryAcquirePermit(1).orElseThrow();
        Permit second = limiter.tryAcquirePermit(1).orElseThrow();

        first.release();
        first.release();
        first.close();

        assertThat(limiter.snapshot().used()).isEqualTo(1);
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
        second.close();
    }

    @Test
    void release_neverGoesBelowZero() {
        limiter.tryAcquire();
        limiter.release(5);
        limiter.release(1);

        assertThat(limiter.snapshot().remaining()).isEqualTo(2);
        assertThat(limiter.tryAcquire(2)).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void reclaimableAt_onlyWhenNothingIsInFlight() {
        limiter.tryAcquire();
        assertThat(limiter.reclaimableAtNanos()).isEqualTo(Long.MAX_VALUE);

        clock.advanceNanos(5);
        limiter.release(1);

        assertThat(limiter.reclaimableAtNanos()).isEqualTo(clock.nowNanos());
    }
}
