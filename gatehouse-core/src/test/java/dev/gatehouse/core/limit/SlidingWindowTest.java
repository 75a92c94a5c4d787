package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RandomCases;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SlidingWindowTest {

    private static final long MILLI = 1_000_000L;
    private static final long SECOND = 1_000 * MILLI;

    private final ManualClock clock = new ManualClock();

    private RateLimiter window(long max) {
        return LimitSpec.slidingWindow(max, Duration.ofSeconds(1)).newLimiter(clock);
    }

    @Test
    void previousWindow_countsByItsOverlap() {
        RateLimiter limiter = window(10);
        assertThat(limiter.tryAcquire(10)).isTrue();

        clock.advanceNanos(SECOND + SECOND / 2); // half of the previous window still overlaps: 5 count
        assertThat(limiter.tryAcquire(5)).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();

        clock.advanceNanos(SECOND / 10); // 40% overlaps: ceil(4) + 5 = 9
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    /** A reading from before the window the counts are in does not roll them back: it counts as of that window's start. */
    @Test
    void aReadingOlderThanTheLastUpdate_keepsTheCounts() {
        OvertakenClock twoThreads = new OvertakenClock();
        RateLimiter limiter = LimitSpec.slidingWindow(10, Duration.ofSeconds(1)).newLimiter(twoThreads);

        twoThreads.set(SECOND + 100 * MILLI);
        assertThat(limiter.tryAcquire(10)).isTrue();
        twoThreads.set(SECOND - 1); // the other thread's reading, from the window before
        assertThat(limiter.tryAcquire()).isFalse();
        assertThat(limiter.decide(1).allowed()).isFalse();
        twoThreads.set(2 * SECOND + 100 * MILLI); // the next window: 90% of the 10 still overlaps
        assertThat(limiter.tryAcquire(1)).isTrue();
        assertThat(limiter.tryAcquire(1)).isFalse();
    }

    @Test
    void twoIdleWindows_forgetEverything() {
        RateLimiter limiter = window(3);
        limiter.tryAcquire(3);

        clock.advanceNanos(2 * SECOND);

        assertThat(limiter.snapshot().remaining()).isEqualTo(3);
        assertThat(limiter.tryAcquire(3)).isTrue();
    }

    @Test
    void decide_deniedInsideTheWindow_retryIsWhenThePreviousShareShrinks() {
        RateLimiter limiter = window(10);
        limiter.tryAcquire(10);
        clock.advanceNanos(SECOND);

        Decision denied = limiter.decide(1);

        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry()).isEqualTo(100 * MILLI);
        assertThat(denied.nanosUntilReset()).isEqualTo(SECOND);
        assertThat(limiter.snapshot().deniedThisWindow()).isEqualTo(1);
    }

    @Test
    void release_freesSlotsOfTheCurrentWindow() {
        RateLimiter limiter = window(2);
        limiter.tryAcquire(2);

        limiter.release(1);

        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void reclaimableAt_isWhenBothWindowsAreEmpty() {
        long start = clock.nowNanos();
        RateLimiter limiter = window(2);
        clock.advanceNanos(SECOND / 2);
        limiter.tryAcquire();

        assertThat(limiter.reclaimableAtNanos()).isEqualTo(start + 2 * SECOND);
    }

    static LongStream seeds() {
        return RandomCases.seeds(500);
    }

    /** After a denial, the retry time is exact: one nanosecond earlier still fails, then it succeeds. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void denial_randomHistory_retryTimeIsExact(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertRetryTimeIsExact(
                RandomCases.longBetween(random, 1, 50),
                RandomCases.intBetween(random, 0, 50),
                RandomCases.longBetween(random, 0, 2_000),
                RandomCases.intBetween(random, 0, 50),
                RandomCases.longBetween(random, 1, 50));
    }

    @Test
    void denial_everyCombinationOfEdges_retryTimeIsExact() {
        for (long max : new long[] {1, 2, 49, 50}) {
            for (int takenBefore : new int[] {0, 1, 49, 50}) {
                for (long gapMillis : new long[] {0, 1, 999, 1_000, 1_999, 2_000}) {
                    for (int takenAfter : new int[] {0, 1, 49, 50}) {
                        for (long permits : new long[] {1, 2, 49, 50}) {
                            assertRetryTimeIsExact(max, takenBefore, gapMillis, takenAfter, permits);
                        }
                    }
                }
            }
        }
    }

    private static void assertRetryTimeIsExact(
            long max, int takenBefore, long gapMillis, int takenAfter, long permits) {
        String inputs = "max=%d takenBefore=%d gapMillis=%d takenAfter=%d permits=%d"
                .formatted(max, takenBefore, gapMillis, takenAfter, permits);
        ManualClock clock = new ManualClock(0);
        RateLimiter limiter =
                LimitSpec.slidingWindow(max, Duration.ofSeconds(1)).newLimiter(clock);
        if (takenBefore > 0) {
            limiter.tryAcquire(Math.min(max, takenBefore));
        }
        clock.advanceNanos(gapMillis * MILLI + 1);
        if (takenAfter > 0) {
            limiter.tryAcquire(Math.min(max, takenAfter));
        }
        Decision denied = limiter.decide(Math.min(max, permits));
        if (denied.allowed()) {
            return;
        }
        if (denied.nanosUntilRetry() > 0) {
            clock.advanceNanos(denied.nanosUntilRetry() - 1);
            assertThat(limiter.tryAcquire(Math.min(max, permits))).as(inputs).isFalse();
        }
        clock.advanceNanos(1);
        assertThat(limiter.tryAcquire(Math.min(max, permits))).as(inputs).isTrue();
    }
}
