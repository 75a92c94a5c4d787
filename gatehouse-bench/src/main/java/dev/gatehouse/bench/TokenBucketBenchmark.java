package dev.gatehouse.bench;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.BatchClock;
import dev.gatehouse.core.time.NanoClock;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Duration;
import java.util.ArrayDeque;
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
 * threads on the same bucket. The {@code Batched} pair reads the time as {@code gatehouse serve}'s
 * event loops do, once per batch of {@code decisionsPerBatch} decisions ({@link BatchClock}, clamped
 * as every limiter clamps it): Gatehouse's bucket, and Bucket4j's fed the same clock.
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

    private final BatchClock batches = BatchClock.over(NanoClock.system());
    private final NanoClock batchedClock = NanoClock.monotonic(batches);
    private RateLimiter gatehouse;
    private RateLimiter gatehouseBatched;
    private Bucket bucket4j;
    private Bucket bucket4jBatched;
    private com.google.common.util.concurrent.RateLimiter guava;

    @Setup
    public void setUp() {
        boolean allow = path.equals("allow");
        long capacity = allow ? 1_000_000_000L : 1;
        long permits = allow ? 1_000_000_000L : 1;
        Duration period = allow ? Duration.ofSeconds(1) : Duration.ofHours(1);

        gatehouse = LimitSpec.tokenBucket(capacity, permits, period).newLimiter(NanoClock.system());
        gatehouseBatched = LimitSpec.tokenBucket(capacity, permits, period).newLimiter(batchedClock);
        bucket4j = Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(permits, period))
                .withNanosecondPrecision()
                .withSynchronizationStrategy(SynchronizationStrategy.LOCK_FREE)
                .build();
        bucket4jBatched = Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(permits, period))
                .withCustomTimePrecision(new TimeMeter() {
                    @Override
                    public long currentTimeNanos() {
                        return batchedClock.nowNanos();
                    }

                    @Override
                    public boolean isWallClockBased() {
                        return false;
                    }
                })
                .withSynchronizationStrategy(SynchronizationStrategy.LOCK_FREE)
                .build();
        guava = com.google.common.util.concurrent.RateLimiter.create(allow ? 1e9 : 1.0 / 3600);
        if (!allow) {
            gatehouse.tryAcquire(1);
            gatehouseBatched.tryAcquire(1);
            bucket4j.tryConsume(1);
            bucket4jBatched.tryConsume(1);
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

    /** An event loop's batches: each benchmark thread joins the clock and ends a batch every so many decisions. */
    @State(Scope.Thread)
    public static class Loop {

        /** Decisions per batch: 1 is an idle loop woken for each request; 64 connections give a busy loop more. */
        @Param({"1", "4", "16"})
        public int decisionsPerBatch;

        private final ArrayDeque<Runnable> afterWork = new ArrayDeque<>();
        private int decided;

        @Setup
        public void join(TokenBucketBenchmark benchmark) {
            benchmark.batches.join(afterWork::add);
        }

        void decided() {
            if (++decided == decisionsPerBatch) {
                decided = 0;
                for (Runnable task; (task = afterWork.poll()) != null; ) {
                    task.run();
                }
            }
        }
    }

    @Benchmark
    public boolean gatehouseBatched(Loop loop) {
        boolean allowed = gatehouseBatched.tryAcquire(1);
        loop.decided();
        return allowed;
    }

    @Benchmark
    public boolean bucket4jBatched(Loop loop) {
        boolean allowed = bucket4jBatched.tryConsume(1);
        loop.decided();
        return allowed;
    }

    @Benchmark
    public boolean guava() {
        return guava.tryAcquire();
    }
}
