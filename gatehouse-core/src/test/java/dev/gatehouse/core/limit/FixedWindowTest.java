package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RandomCases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FixedWindowTest {

    private static final long MILLI = 1_000_000L;

    private final ManualClock clock = new ManualClock();

    private RateLimiter window(long max, long windowMillis) {
        return LimitSpec.fixedWindow(max, Duration.ofMillis(windowMillis)).newLimiter(clock);
    }

    /** A reading from before the window the count is in does not roll it back: it counts in that window. */
    @Test
    void aReadingOlderThanTheLastUpdate_countsInTheNewerWindow() {
        OvertakenClock twoThreads = new OvertakenClock();
        RateLimiter limiter = LimitSpec.fixedWindow(10, Duration.ofSeconds(1)).newLimiter(twoThreads);

        twoThreads.set(1_100_000_000L);
        assertThat(limiter.tryAcquire(10)).isTrue();
        twoThreads.set(999_999_999L); // the other thread's reading, from the window before
        assertThat(limiter.tryAcquire()).isFalse();
        Decision denied = limiter.decide(1);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry()).isEqualTo(1_000_000_001L); // the newer window's end
        assertThat(limiter.snapshot().remaining()).isZero();
        assertThat(limiter.reclaimableAtNanos()).isEqualTo(2_000_000_000L);
        twoThreads.set(2_000_000_000L);
        assertThat(limiter.tryAcquire(10)).isTrue();
    }

    @Test
    void maxTwo_allowsTwoThenDenies() {
        RateLimiter limiter = window(2, 1_000);

        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void windowsStartAtCreation_andCountersResetOnRoll() {
        clock.advanceNanos(123 * MILLI); // not aligned to anything
        RateLimiter limiter = window(2, 1_000);
        limiter.tryAcquire(2);

        clock.advanceNanos(999 * MILLI);
        assertThat(limiter.tryAcquire()).isFalse();
        clock.advanceNanos(MILLI);
        assertThat(limiter.tryAcquire(2)).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void release_freesOneSlotOfTheCurrentWindowOnly() {
        RateLimiter limiter = window(2, 1_000);
        limiter.tryAcquire(2);

        limiter.release(1);
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();

        limiter.release(5); // more than in use: the window is simply empty
        assertThat(limiter.snapshot().remaining()).isEqualTo(2);

        clock.advanceNanos(1_000 * MILLI);
        limiter.release(1); // a new window has nothing to free
        assertThat(limiter.tryAcquire(2)).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void decide_reportsRemainingAndTheWindowEnd() {
        RateLimiter limiter = window(3, 1_000);
        clock.advanceNanos(250 * MILLI);

        assertThat(limiter.decide(2)).isEqualTo(new Decision(Decision.Outcome.ALLOWED, 1, 0, 750 * MILLI));
        assertThat(limiter.decide(2)).isEqualTo(new Decision(Decision.Outcome.DENIED, 1, 750 * MILLI, 750 * MILLI));
        assertThat(limiter.decide(4).nanosUntilRetry()).isEqualTo(Decision.NEVER);
    }

    @Test
    void snapshot_countsDenialsOfTheCurrentWindow() {
        RateLimiter limiter = window(1, 1_000);
        limiter.tryAcquire();
        limiter.tryAcquire();
        limiter.decide(1);

        LimiterSnapshot snapshot = limiter.snapshot();
        assertThat(snapshot.used()).isEqualTo(1);
        assertThat(snapshot.deniedThisWindow()).isEqualTo(2);

        clock.advanceNanos(1_000 * MILLI);
        assertThat(limiter.snapshot()).isEqualTo(new LimiterSnapshot(limiter.spec(), 1, 0, 0, 0));
    }

    @Test
    void reclaimableAt_isTheEndOfTheLastUsedWindow() {
        long start = clock.nowNanos();
        RateLimiter limiter = window(5, 100);
        clock.advanceNanos(250 * MILLI);
        limiter.tryAcquire();
        clock.advanceNanos(1_000 * MILLI);

        assertThat(limiter.reclaimableAtNanos()).isEqualTo(start + 300 * MILLI);
    }

    @Test
    void spec_rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> LimitSpec.fixedWindow(0, Duration.ofSeconds(1)))
                .hasMessage("maxPerWindow: 0 (expected: 1 <= maxPerWindow <= 1000000000)");
        assertThatThrownBy(() -> LimitSpec.fixedWindow(1_000_000_001L, Duration.ofSeconds(1)))
                .hasMessage("maxPerWindow: 1000000001 (expected: 1 <= maxPerWindow <= 1000000000)");
        assertThatThrownBy(() -> LimitSpec.fixedWindow(1, Duration.ofNanos(999_999)))
                .hasMessage("windowNanos: 999999 (expected: >= 1000000)");
    }

    @Test
    void maximumPerWindow_countsExactly() {
        RateLimiter limiter = window(FixedWindowSpec.MAX_PER_WINDOW, 1_000);
        assertThat(limiter.tryAcquire(FixedWindowSpec.MAX_PER_WINDOW - 1)).isTrue();
        assertThat(limiter.tryAcquire(2)).isFalse();
        assertThat(limiter.tryAcquire(1)).isTrue();
        assertThat(limiter.tryAcquire(1)).isFalse();
    }

    record Step(long advanceNanos, long permits, boolean release) {}

    static LongStream seeds() {
        return RandomCases.seeds(300);
    }

    /** Up to 300 steps, each advancing 0 to 300 ms and acquiring 1 to 5 permits (releasing them one time in ten). */
    private static List<Step> steps(SplittableRandom random) {
        int size = RandomCases.intBetween(random, 0, 300);
        List<Step> steps = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            steps.add(new Step(
                    RandomCases.longBetween(random, 0, 300 * MILLI),
                    RandomCases.longBetween(random, 1, 5),
                    random.nextInt(10) == 0));
        }
        return steps;
    }

    /** Net admissions inside any one window never exceed its maximum. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void tryAcquire_randomRuns_neverAdmitsMoreThanTheMaximumPerWindow(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertNeverAdmitsMoreThanTheMaximum(
                RandomCases.longBetween(random, 1, 20), RandomCases.longBetween(random, 1, 1_000), steps(random));
    }

    @Test
    void tryAcquire_edgeSpecsAndSteps_neverAdmitsMoreThanTheMaximumPerWindow() {
        List<List<Step>> runs = new ArrayList<>();
        runs.add(List.of());
        for (long advance : new long[] {0, 1, MILLI, 300 * MILLI}) {
            for (long permits : new long[] {1, 5}) {
                for (boolean release : new boolean[] {false, true}) {
                    runs.add(List.of(new Step(advance, permits, release)));
                    runs.add(Collections.nCopies(300, new Step(advance, permits, release)));
                }
            }
        }
        for (long max : new long[] {1, 2, 19, 20}) {
            for (long windowMillis : new long[] {1, 2, 999, 1_000}) {
                for (List<Step> steps : runs) {
                    assertNeverAdmitsMoreThanTheMaximum(max, windowMillis, steps);
                }
            }
        }
    }

    private static void assertNeverAdmitsMoreThanTheMaximum(long max, long windowMillis, List<Step> steps) {
        ManualClock clock = new ManualClock(0);
        RateLimiter limiter =
                LimitSpec.fixedWindow(max, Duration.ofMillis(windowMillis)).newLimiter(clock);
        long window = windowMillis * MILLI;
        long currentWindow = 0;
        long used = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            clock.advanceNanos(step.advanceNanos());
            long index = clock.nowNanos() / window;
            if (index != currentWindow) {
                currentWindow = index;
                used = 0;
            }
            if (step.release()) {
                limiter.release(step.permits());
                used = Math.max(0, used - step.permits());
            } else {
                boolean allowed = limiter.tryAcquire(step.permits());
                assertThat(allowed)
                        .as("max=%d windowMillis=%d step %d: %s", max, windowMillis, i, step)
                        .isEqualTo(used + step.permits() <= max);
                if (allowed) {
                    used += step.permits();
                }
            }
            assertThat(used).isLessThanOrEqualTo(max);
        }
    }
}
