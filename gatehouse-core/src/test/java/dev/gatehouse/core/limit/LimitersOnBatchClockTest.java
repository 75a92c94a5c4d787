package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.time.BatchClock;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The precision trade-off of reading the clock once per batch, as event loops do ({@link BatchClock}). */
class LimitersOnBatchClockTest {

    private final ManualClock source = new ManualClock();
    private final BatchClock batches = BatchClock.over(source);
    private final NanoClock clock = NanoClock.monotonic(batches); // as every limiter and registry wraps it

    @Test
    void aRefillDuringABatch_isSeenWhenTheBatchEnds_notBefore() {
        ArrayDeque<Runnable> afterWork = new ArrayDeque<>();
        batches.join(afterWork::add);
        RateLimiter limiter = LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1)).newLimiter(clock);

        assertThat(limiter.tryAcquire()).isTrue();
        source.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire())
                .as("late reading: the refill is not seen yet")
                .isFalse();

        afterWork.forEach(Runnable::run);
        afterWork.clear();
        assertThat(limiter.tryAcquire()).isTrue();
    }

    /** Each algorithm with 20 a window of 200 ms (the bucket: 20, refilling 100 a second). */
    static Stream<Arguments> limits() {
        return Stream.of(
                Arguments.of(LimitSpec.tokenBucket(20, 100, Duration.ofSeconds(1)), true),
                Arguments.of(LimitSpec.fixedWindow(20, Duration.ofMillis(200)), false),
                Arguments.of(LimitSpec.slidingWindow(20, Duration.ofMillis(200)), false));
    }

    /**
     * Two event loops decide on one limiter, each reading the clock once per batch of a few decisions
     * and moving time on between its batches: whatever readings the loops kept, no more is admitted
     * than the limit allows over the time that passed (the loops ask for far more).
     */
    @ParameterizedTest
    @MethodSource("limits")
    void loopsKeepingReadings_neverAdmitMoreThanTheLimitAllows(LimitSpec spec, boolean refills)
            throws InterruptedException {
        RateLimiter limiter = spec.newLimiter(clock);
        long start = source.nowNanos();
        AtomicInteger admitted = new AtomicInteger();
        AtomicLong seeds = new AtomicLong(42);

        Race.run(2, () -> {
            SplittableRandom random = new SplittableRandom(seeds.getAndIncrement());
            ArrayDeque<Runnable> afterWork = new ArrayDeque<>();
            batches.join(afterWork::add);
            for (int batch = 0; batch < 20_000; batch++) {
                for (int decisions = random.nextInt(1, 40); decisions > 0; decisions--) {
                    if (limiter.tryAcquire()) {
                        admitted.incrementAndGet();
                    }
                }
                afterWork.forEach(Runnable::run);
                afterWork.clear();
                source.advanceNanos(random.nextLong(20_000)); // time runs between batches, up to 20 µs
            }
        });
        long elapsed = source.nowNanos() - start;

        long window = 200_000_000L;
        long allowed = refills ? 20 + elapsed / 10_000_000L : 20 * (elapsed / window + 1);
        assertThat(admitted.get()).isBetween(20, (int) allowed);
    }
}
