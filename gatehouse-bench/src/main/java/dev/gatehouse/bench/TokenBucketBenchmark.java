package dev.gatehouse.bench;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One key, one shared bucket: Gatehouse's token bucket against Bucket4j's local lock-free bucket
 * (nanosecond precision) and Guava's RateLimiter, on the path where every request is allowed and on
 * the path where every request is denied. Run with {@code -t 1} and {@code -t 2} for one and two
 * threads on the same bucket.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenBucketBenchmark {

    /** {@code allow}: capacity and rate far above what any thread can take; {@code deny}: empty, refilling hourly. */
    @Param({"allow", "deny"})
    public String path;

    private RateLimiter gatehouse;
    private Bucket bucket4j;
    private com.google.common.util.concurrent.RateLimiter guava;

    @Setup
    public void setUp() {
        boolean allow = path.equals("allow");
        long capacity = allow ? 1_000_000_000L : 1;
        long permits = allow ? 1_000_000_000L : 1;
        Duration period = allow ? Duration.ofSeconds(1) : Duration.ofHours(1);

        gatehouse = LimitSpec.tokenBucket(capacity, permits, period).newLimiter(NanoClock.system());
        bucket4j = Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(permits, period))
                .withNanosecondPrecision()
                .withSynchronizationStrategy(SynchronizationStrategy.LOCK_FREE)
                .build();
        guava = com.google.common.util.concurrent.RateLimiter.create(allow ? 1e9 : 1.0 / 3600);
        if (!allow) {
            gatehouse.tryAcquire(1);
            bucket4j.tryConsume(1);
            var unused = guava.tryAcquire();
        }
    }

    /** The floor every limiter here pays: one read of {@link System#nanoTime()}. */
    @Benchmark
    public long clockRead() {
        return System.nanoTime();
    }

    @Benchmark
    public boolean gatehouse() {
        return gatehouse.tryAcquire(1);
    }

    /** The path that describes the outcome; the JIT can keep the decision off the heap when it is read at once. */
    @Benchmark
    public void gatehouseDecide(Blackhole blackhole) {
        Decision decision = gatehouse.decide(1);
        blackhole.consume(decision.allowed());
        blackhole.consume(decision.remaining());
        blackhole.consume(decision.nanosUntilRetry());
    }

    @Benchmark
    public boolean bucket4j() {
        return bucket4j.tryConsume(1);
    }

    @Benchmark
    public boolean guava() {
        return guava.tryAcquire();
    }
}
