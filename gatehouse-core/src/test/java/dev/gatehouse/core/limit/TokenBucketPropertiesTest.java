package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RandomCases;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TokenBucketPropertiesTest {

    private static final long DAY = 86_400_000_000_000L;

    record Step(long advanceNanos, long permits) {}

    static LongStream seeds() {
        return RandomCases.seeds(300);
    }

    /** Up to 200 steps of 1 to 40 permits, each advancing by 0, up to 1 µs, up to 5 s or up to 400 days. */
    private static List<Step> steps(SplittableRandom random) {
        int size = RandomCases.intBetween(random, 0, 200);
        List<Step> steps = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            long advance = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> RandomCases.longBetween(random, 1, 1_000);
                case 2 -> RandomCases.longBetween(random, 1, 5_000_000_000L);
                default -> RandomCases.longBetween(random, 1, 400 * DAY);
            };
            steps.add(new Step(advance, RandomCases.longBetween(random, 1, 40)));
        }
        return steps;
    }

    /** Runs of edge steps: none, one, and 200 alike, for each edge advance and permit count. */
    private static List<List<Step>> edgeRuns() {
        List<List<Step>> runs = new ArrayList<>();
        runs.add(List.of());
        for (long advance : new long[] {0, 1, 1_000, 5_000_000_000L, 400 * DAY}) {
            for (long permits : new long[] {1, 40}) {
                runs.add(List.of(new Step(advance, permits)));
                runs.add(Collections.nCopies(200, new Step(advance, permits)));
            }
        }
        return runs;
    }

    /** Over every interval [t1, t2] of a run, a bucket grants at most capacity + rate * (t2 - t1). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void anyInterval_randomRuns_admitsAtMostBurstPlusRateTimesLength(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertAdmitsAtMostBurstPlusRateTimesLength(
                RandomCases.longBetween(random, 1, 50),
                RandomCases.longBetween(random, 1, 1_000_000_000),
                RandomCases.longBetween(random, 1, 10_000_000_000L),
                steps(random));
    }

    @Test
    void anyInterval_edgeSpecsAndRuns_admitsAtMostBurstPlusRateTimesLength() {
        for (long capacity : new long[] {1, 2, 50}) {
            for (long refillPermits : new long[] {1, 1_000_000_000}) {
                for (long refillPeriodNanos : new long[] {1, 10_000_000_000L}) {
                    for (List<Step> steps : edgeRuns()) {
                        assertAdmitsAtMostBurstPlusRateTimesLength(capacity, refillPermits, refillPeriodNanos, steps);
                    }
                }
            }
        }
    }

    private static void assertAdmitsAtMostBurstPlusRateTimesLength(
            long capacity, long refillPermits, long refillPeriodNanos, List<Step> steps) {
        if (refillPermits > refillPeriodNanos) {
            refillPermits = refillPeriodNanos;
        }
        ManualClock clock = new ManualClock(0);
        TokenBucketSpec spec = new TokenBucketSpec(capacity, refillPermits, refillPeriodNanos);
        RateLimiter limiter = spec.newLimiter(clock);
        List<long[]> grants = new ArrayList<>(); // {time, permits}
        for (Step step : steps) {
            clock.advanceNanos(step.advanceNanos());
            if (limiter.tryAcquire(step.permits())) {
                grants.add(new long[] {clock.nowNanos(), step.permits()});
            }
        }
        BigInteger p = BigInteger.valueOf(spec.refillPermits());
        BigInteger period = BigInteger.valueOf(spec.refillPeriodNanos());
        for (int from = 0; from < grants.size(); from++) {
            long admitted = 0;
            for (int to = from; to < grants.size(); to++) {
                admitted += grants.get(to)[1];
                BigInteger length = BigInteger.valueOf(grants.get(to)[0] - grants.get(from)[0]);
                // admitted <= capacity + length * p / period, without rounding
                BigInteger lhs = BigInteger.valueOf(admitted).multiply(period);
                BigInteger rhs = BigInteger.valueOf(capacity).multiply(period).add(length.multiply(p));
                assertThat(lhs).as("%s, grants %d to %d", spec, from, to).isLessThanOrEqualTo(rhs);
            }
        }
    }

    /**
     * The bucket decides exactly as a naive continuous-refill model in exact rational arithmetic, also after idle
     * spells long enough for its state, kept modulo 2^64, to wrap around.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void decide_randomRuns_matchesAnExactReferenceModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertMatchesTheReferenceModel(
                RandomCases.longBetween(random, 1, 1_000_000),
                RandomCases.longBetween(random, 1, 1_000_000_000),
                RandomCases.longBetween(random, 1, 100_000_000_000L),
                steps(random));
    }

    @Test
    void decide_edgeSpecsAndRuns_matchesAnExactReferenceModel() {
        for (long capacity : new long[] {1, 2, 999_999, 1_000_000}) {
            for (long refillPermits : new long[] {1, 2, 999_999_999, 1_000_000_000}) {
                for (long refillPeriodNanos : new long[] {1, 2, 99_999_999_999L, 100_000_000_000L}) {
                    for (List<Step> steps : edgeRuns()) {
                        assertMatchesTheReferenceModel(capacity, refillPermits, refillPeriodNanos, steps);
                    }
                }
            }
        }
    }

    private static void assertMatchesTheReferenceModel(
            long capacity, long refillPermits, long refillPeriodNanos, List<Step> steps) {
        if (refillPermits > refillPeriodNanos) {
            refillPermits = refillPeriodNanos;
        }
        ManualClock clock = new ManualClock(-5_000_000_000L);
        TokenBucketSpec spec = new TokenBucketSpec(capacity, refillPermits, refillPeriodNanos);
        RateLimiter limiter = spec.newLimiter(clock);
        ReferenceBucket reference = new ReferenceBucket(capacity, refillPermits, refillPeriodNanos);
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            clock.advanceNanos(step.advanceNanos());
            reference.advance(step.advanceNanos());
            Decision decision = limiter.decide(step.permits());
            String where = "%s, step %d: %s".formatted(spec, i, step);
            boolean expectedAllowed = reference.canTake(step.permits());
            long expectedRemaining = expectedAllowed ? reference.wholeAfterTaking(step.permits()) : reference.whole();
            assertThat(decision.allowed()).as(where).isEqualTo(expectedAllowed);
            assertThat(decision.remaining()).as(where).isEqualTo(expectedRemaining);
            if (expectedAllowed) {
                reference.take(step.permits());
            }
        }
    }

    /** A denial's retry time is exact: one nanosecond earlier still fails, at the time it succeeds. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void denial_randomState_retryTimeIsExact(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertRetryTimeIsExact(
                RandomCases.longBetween(random, 1, 100),
                RandomCases.longBetween(random, 1, 1_000),
                RandomCases.longBetween(random, 1_000, 10_000_000_000L),
                RandomCases.intBetween(random, 0, 100),
                RandomCases.longBetween(random, 1, 100));
    }

    @Test
    void denial_everyCombinationOfEdges_retryTimeIsExact() {
        for (long capacity : new long[] {1, 2, 99, 100}) {
            for (long refillPermits : new long[] {1, 2, 999, 1_000}) {
                for (long refillPeriodNanos : new long[] {1_000, 1_001, 9_999_999_999L, 10_000_000_000L}) {
                    for (int taken : new int[] {0, 1, 2, 99, 100}) {
                        for (long permits : new long[] {1, 2, 99, 100}) {
                            assertRetryTimeIsExact(capacity, refillPermits, refillPeriodNanos, taken, permits);
                        }
                    }
                }
            }
        }
    }

    private static void assertRetryTimeIsExact(
            long capacity, long refillPermits, long refillPeriodNanos, int taken, long permits) {
        if (permits > capacity) {
            permits = capacity;
        }
        ManualClock clock = new ManualClock(0);
        TokenBucketSpec spec = new TokenBucketSpec(capacity, refillPermits, refillPeriodNanos);
        RateLimiter limiter = spec.newLimiter(clock);
        limiter.tryAcquire(Math.min(capacity, Math.max(1, taken)));
        Decision denied = limiter.decide(permits);
        if (denied.allowed()) {
            return;
        }
        String inputs = "%s, taken=%d permits=%d".formatted(spec, taken, permits);
        clock.advanceNanos(denied.nanosUntilRetry() - 1);
        assertThat(limiter.tryAcquire(permits)).as(inputs).isFalse();
        clock.advanceNanos(1);
        assertThat(limiter.tryAcquire(permits)).as(inputs).isTrue();
    }

    /** Continuous refill with a level kept as an exact fraction of permits. */
    private static final class ReferenceBucket {
        private final BigInteger capacityUnits;
        private final BigInteger permitsPerNano;
        private final BigInteger unitsPerPermit;
        private BigInteger levelUnits;

        ReferenceBucket(long capacity, long refillPermits, long refillPeriodNanos) {
            this.unitsPerPermit = BigInteger.valueOf(refillPeriodNanos);
            this.permitsPerNano = BigInteger.valueOf(refillPermits);
            this.capacityUnits = BigInteger.valueOf(capacity).multiply(unitsPerPermit);
            this.levelUnits = capacityUnits;
        }

        void advance(long nanos) {
            levelUnits = levelUnits
                    .add(BigInteger.valueOf(nanos).multiply(permitsPerNano))
                    .min(capacityUnits);
        }

        boolean canTake(long permits) {
            return units(permits).compareTo(levelUnits) <= 0;
        }

        void take(long permits) {
            levelUnits = levelUnits.subtract(units(permits));
        }

        long wholeAfterTaking(long permits) {
            return levelUnits.subtract(units(permits)).divide(unitsPerPermit).longValueExact();
        }

        private BigInteger units(long permits) {
            return BigInteger.valueOf(permits).multiply(unitsPerPermit);
        }

        long whole() {
            return levelUnits.divide(unitsPerPermit).longValueExact();
        }
    }
}
