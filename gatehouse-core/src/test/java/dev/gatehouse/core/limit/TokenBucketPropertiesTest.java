package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.time.ManualClock;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class TokenBucketPropertiesTest {

    record Step(long advanceNanos, long permits) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Long> advance = Arbitraries.oneOf(
                Arbitraries.just(0L),
                Arbitraries.longs().between(1, 1_000),
                Arbitraries.longs().between(1, 5_000_000_000L),
                Arbitraries.longs().between(1, 400L * 86_400_000_000_000L));
        Arbitrary<Long> permits = Arbitraries.longs().between(1, 40);
        return Combinators.combine(advance, permits).as(Step::new).list().ofMaxSize(200);
    }

    /** Over every interval [t1, t2] of a run, a bucket grants at most capacity + rate * (t2 - t1). */
    @Property(tries = 300)
    void anyInterval_admitsAtMostBurstPlusRateTimesLength(
            @ForAll @LongRange(min = 1, max = 50) long capacity,
            @ForAll @LongRange(min = 1, max = 1_000_000_000) long refillPermits,
            @ForAll @LongRange(min = 1, max = 10_000_000_000L) long refillPeriodNanos,
            @ForAll("steps") List<Step> steps) {
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
                assertThat(lhs).isLessThanOrEqualTo(rhs);
            }
        }
    }

    /** The bucket decides exactly as a naive continuous-refill model in exact rational arithmetic. */
    @Property(tries = 300)
    void decisions_matchAnExactReferenceModel(
            @ForAll @LongRange(min = 1, max = 1_000_000) long capacity,
            @ForAll @LongRange(min = 1, max = 1_000_000_000) long refillPermits,
            @ForAll @LongRange(min = 1, max = 100_000_000_000L) long refillPeriodNanos,
            @ForAll("steps") List<Step> steps) {
        if (refillPermits > refillPeriodNanos) {
            refillPermits = refillPeriodNanos;
        }
        ManualClock clock = new ManualClock(-5_000_000_000L);
        TokenBucketSpec spec = new TokenBucketSpec(capacity, refillPermits, refillPeriodNanos);
        RateLimiter limiter = spec.newLimiter(clock);
        ReferenceBucket reference = new ReferenceBucket(capacity, refillPermits, refillPeriodNanos);
        for (Step step : steps) {
            clock.advanceNanos(step.advanceNanos());
            reference.advance(step.advanceNanos());
            Decision decision = limiter.decide(step.permits());
            assertThat(decision.allowed()).isEqualTo(reference.tryTake(step.permits()));
            assertThat(decision.remaining()).isEqualTo(reference.whole());
        }
    }

    /** A denial's retry time is exact: one nanosecond earlier still fails, at the time it succeeds. */
    @Property(tries = 300)
    void denial_retryTimeIsExact(
            @ForAll @LongRange(min = 1, max = 100) long capacity,
            @ForAll @LongRange(min = 1, max = 1_000) long refillPermits,
            @ForAll @LongRange(min = 1_000, max = 10_000_000_000L) long refillPeriodNanos,
            @ForAll @IntRange(min = 0, max = 100) int taken,
            @ForAll @LongRange(min = 1, max = 100) long permits) {
        if (permits > capacity) {
            permits = capacity;
        }
        ManualClock clock = new ManualClock(0);
        RateLimiter limiter = new TokenBucketSpec(capacity, refillPermits, refillPeriodNanos).newLimiter(clock);
        limiter.tryAcquire(Math.min(capacity, Math.max(1, taken)));
        Decision denied = limiter.decide(permits);
        if (denied.allowed()) {
            return;
        }
        clock.advanceNanos(denied.nanosUntilRetry() - 1);
        assertThat(limiter.tryAcquire(permits)).isFalse();
        clock.advanceNanos(1);
        assertThat(limiter.tryAcquire(permits)).isTrue();
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

        boolean tryTake(long permits) {
            BigInteger need = BigInteger.valueOf(permits).multiply(unitsPerPermit);
            if (need.compareTo(levelUnits) > 0) {
                return false;
            }
            levelUnits = levelUnits.subtract(need);
            return true;
        }

        long whole() {
            return levelUnits.divide(unitsPerPermit).longValueExact();
        }
    }
}
