package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = new ManualClock();

    private RateLimiter bucket(long capacity, long permits, Duration period) {
        return LimitSpec.tokenBucket(capacity, permits, period).newLimiter(clock);
    }

    @Test
    void tryAcquire_freshBucket_grantsTheWholeBurstThenDenies() {
        RateLimiter limiter = bucket(10, 100, Duration.ofSeconds(1));

        for (int i = 0; i < 10; i++) {
            assertThat(limiter.tryAcquire()).isTrue();
        }
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void tryAcquire_afterOneRefillInterval_grantsOneMore() {
        RateLimiter limiter = bucket(10, 100, Duration.ofSeconds(1));
        drain(limiter);

        clock.advance(Duration.ofMillis(9));
        assertThat(limiter.tryAcquire()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    /** A reading older than the last update makes the bucket look more than empty: that is empty, never full. */
    @Test
    void aReadingOlderThanTheLastUpdate_seesTheBucketEmpty_notFull() {
        OvertakenClock twoThreads = new OvertakenClock();
        RateLimiter limiter =
                LimitSpec.tokenBucket(1, 100, Duration.ofSeconds(1)).newLimiter(twoThreads);

        twoThreads.set(100 * SECOND);
        assertThat(limiter.tryAcquire()).isTrue();
        twoThreads.set(100 * SECOND - 50_000_000L); // the other thread's reading, 50 ms older
        assertThat(limiter.tryAcquire()).isFalse();
        assertThat(limiter.decide(1).allowed()).isFalse();
        twoThreads.set(100 * SECOND + 10_000_000L); // one refill interval after the update
        assertThat(limiter.tryAcquire()).isTrue();
    }

    /** A release on a reading older than the last update gives back what it is asked, not the time between. */
    @Test
    void aReleaseOnAReadingOlderThanTheLastUpdate_refundsOnlyItsPermits() {
        OvertakenClock twoThreads = new OvertakenClock();
        RateLimiter limiter = LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1)).newLimiter(twoThreads);

        twoThreads.set(100 * SECOND);
        assertThat(limiter.tryAcquire(2)).isTrue();
        twoThreads.set(99 * SECOND); // the other thread's reading, a second older
        limiter.release(1);
        twoThreads.set(100 * SECOND);
        assertThat(limiter.tryAcquire()).isTrue(); // the permit given back
        assertThat(limiter.tryAcquire()).isFalse(); // and no more
    }

    @Test
    void burstAndRate_areIndependent_slowRateLargeBurst() {
        RateLimiter limiter = bucket(100, 1, Duration.ofMinutes(1));

        assertThat(drain(limiter)).isEqualTo(100);
        clock.advance(Duration.ofSeconds(59));
        assertThat(limiter.tryAcquire()).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire()).isTrue();
        clock.advance(Duration.ofHours(10));
        assertThat(drain(limiter)).isEqualTo(100);
    }

    @Test
    void decide_reportsRemainingRetryAndReset() {
        RateLimiter limiter = bucket(5, 1, Duration.ofSeconds(1));

        Decision first = limiter.decide(2);
        assertThat(first).isEqualTo(new Decision(Decision.Outcome.ALLOWED, 3, 0, 2 * SECOND));

        limiter.decide(3);
        Decision denied = limiter.decide(2);
        assertThat(denied).isEqualTo(new Decision(Decision.Outcome.DENIED, 0, 2 * SECOND, 5 * SECOND));

        clock.advanceNanos(2 * SECOND - 1);
        assertThat(limiter.tryAcquire(2)).isFalse();
        clock.advanceNanos(1);
        assertThat(limiter.tryAcquire(2)).isTrue();
    }

    @Test
    void decide_moreThanCapacity_isNeverPossible() {
        RateLimiter limiter = bucket(5, 1, Duration.ofSeconds(1));

        Decision decision = limiter.decide(6);

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.remaining()).isEqualTo(5);
        assertThat(decision.nanosUntilRetry()).isEqualTo(Decision.NEVER);
        assertThat(limiter.tryAcquire(6)).isFalse();
        assertThat(limiter.tryAcquire(5)).isTrue();
    }

    @Test
    void release_refundsButNeverAboveCapacity() {
        RateLimiter limiter = bucket(5, 1, Duration.ofSeconds(1));
        limiter.tryAcquire(3);

        limiter.release(2);
        assertThat(limiter.snapshot().remaining()).isEqualTo(4);
        limiter.release(100);
        assertThat(limiter.snapshot().remaining()).isEqualTo(5);
        limiter.release(Long.MAX_VALUE);
        assertThat(drain(limiter)).isEqualTo(5);
    }

    @Test
    void permit_releasedTwice_refundsOnce() {
        RateLimiter limiter = bucket(2, 1, Duration.ofSeconds(1));
        Permit permit = limiter.tryAcquirePermit(2).orElseThrow();

        assertThat(permit.release()).isTrue();
        assertThat(permit.release()).isFalse();
        permit.close();

        assertThat(limiter.snapshot().remaining()).isEqualTo(2);
        assertThat(limiter.tryAcquirePermit(3)).isEmpty();
    }

    @Test
    void clockSteppingBackwards_neitherAddsNorRemovesTokens() {
        RateLimiter limiter = bucket(10, 1, Duration.ofSeconds(1));
        limiter.tryAcquire(10);
        clock.advanceNanos(5 * SECOND);
        assertThat(limiter.snapshot().remaining()).isEqualTo(5);

        clock.setNanos(clock.nowNanos() - 1_000 * SECOND);
        assertThat(limiter.snapshot().remaining()).isEqualTo(5);
        assertThat(limiter.tryAcquire(5)).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();

        clock.setNanos(clock.nowNanos() + 999 * SECOND); // still behind the high-water mark
        assertThat(limiter.tryAcquire()).isFalse();
        clock.advanceNanos(SECOND + SECOND); // one second past it
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void fractionalInterval_staysExactOverDays() {
        RateLimiter limiter = bucket(1, 3, Duration.ofSeconds(1)); // one permit every 333,333,333.3 ns
        limiter.tryAcquire();
        long granted = 0;
        for (int step = 0; step < 3 * 86_400; step++) {
            clock.advanceNanos(333_333_334);
            if (limiter.tryAcquire()) {
                granted++;
            }
        }
        // 3 * 86,400 steps of 333,333,334 ns span 86,400.0000005 s: exactly 259,200 permits.
        assertThat(granted).isEqualTo(3 * 86_400);
    }

    @Test
    void extremes_highRateHugeBurstLongIdle() {
        RateLimiter limiter = bucket(1_000_000_000_000_000_000L, 1_000_000_000, Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire(1_000_000_000_000_000_000L)).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();

        clock.advance(Duration.ofDays(20_000));
        Decision decision = limiter.decide(1);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.remaining()).isEqualTo(999_999_999_999_999_999L);

        RateLimiter slow =
                bucket(TokenBucketSpec.MAX_CAPACITY_PERIOD_PRODUCT / 86_400_000_000_000L, 1, Duration.ofDays(1));
        assertThat(slow.tryAcquire(slow.spec().limit())).isTrue();
        Decision empty = slow.decide(1);
        assertThat(empty.nanosUntilRetry()).isEqualTo(86_400_000_000_000L);
        assertThat(empty.nanosUntilReset()).isEqualTo(slow.spec().limit() * 86_400_000_000_000L);
        clock.advance(Duration.ofDays(365 * 200));
        assertThat(slow.snapshot().remaining()).isEqualTo(slow.spec().limit());
    }

    @Test
    void oddRate_longIdle_isFullAgain() {
        RateLimiter limiter = bucket(1_000, 999_999_937, Duration.ofSeconds(1));
        limiter.tryAcquire(1_000);

        clock.advance(Duration.ofDays(3));

        assertThat(limiter.snapshot().remaining()).isEqualTo(1_000);
        assertThat(drain(limiter)).isEqualTo(1_000);
    }

    @Test
    void spec_isKeptInLowestTerms() {
        assertThat(LimitSpec.tokenBucket(10, 10, Duration.ofSeconds(1)))
                .isEqualTo(LimitSpec.tokenBucket(10, 10_000, Duration.ofSeconds(1_000)))
                .isEqualTo(new TokenBucketSpec(10, 1, 100_000_000));
    }

    @Test
    void spec_rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> LimitSpec.tokenBucket(0, 1, Duration.ofSeconds(1)))
                .hasMessage("capacity: 0 (expected: >= 1)");
        assertThatThrownBy(() -> LimitSpec.tokenBucket(1, 0, Duration.ofSeconds(1)))
                .hasMessage("refillPermits: 0 (expected: >= 1)");
        assertThatThrownBy(() -> LimitSpec.tokenBucket(1, 1, Duration.ZERO))
                .hasMessage("refillPeriod: PT0S (expected: >= PT0.000000001S)");
        assertThatThrownBy(() -> LimitSpec.tokenBucket(1, 3, Duration.ofNanos(2)))
                .hasMessage("refill: 3 per 2 ns (expected: at most one permit per nanosecond)");
        assertThatThrownBy(() -> LimitSpec.tokenBucket(Long.MAX_VALUE, 1, Duration.ofSeconds(1)))
                .hasMessage(
                        "capacity: 9223372036854775807 (expected: <= 2305843009 at a refill of 1 per 1000000000 ns)");
        assertThatThrownBy(() -> bucket(1, 1, Duration.ofSeconds(1)).tryAcquire(0))
                .hasMessage("permits: 0 (expected: >= 1)");
    }

    @Test
    void reclaimableAt_isWhenTheBucketIsFullAgain() {
        RateLimiter limiter = bucket(4, 2, Duration.ofSeconds(1));
        long start = clock.nowNanos();
        assertThat(limiter.reclaimableAtNanos()).isEqualTo(start);

        limiter.tryAcquire(3);

        assertThat(limiter.reclaimableAtNanos()).isEqualTo(start + 1_500_000_000L);
    }

    private static int drain(RateLimiter limiter) {
        int granted = 0;
        while (limiter.tryAcquire()) {
            granted++;
        }
        return granted;
    }
}
