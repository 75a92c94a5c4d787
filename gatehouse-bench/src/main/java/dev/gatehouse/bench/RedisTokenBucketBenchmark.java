package dev.gatehouse.bench;

import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Token-bucket decisions per second against one Redis: Gatehouse's {@code KeyedRateLimiter} from
 * {@code RedisBackend} against Bucket4j's Lettuce proxy manager (compare-and-swap), plain and with its
 * batching optimization, all through their asynchronous APIs. Needs a Redis at {@code GATEHOUSE_REDIS_URL} (default {@code
 * redis://127.0.0.1:6379}); it writes under {@code bench:gatehouse:} and {@code bench:bucket4j:} and
 * deletes those keys before and after each trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RedisTokenBucketBenchmark {

    /*
     * Design: a caller is an asynchronous call in flight, not a thread. Each JMH thread keeps
     * inFlight decisions outstanding: an operation waits for the decision it issued inFlight
     * operations ago, then issues a new one, so operations per second are decisions per second and at
     * most inFlight are ever pending. inFlight = 1 is one caller waiting for each answer (a round
     * trip per decision); inFlight = 64 is 64 callers sharing the connection, which is how both
     * libraries are meant to be used. Run with -t 1: 64 blocked threads on two cores would measure
     * the scheduler more than the limiters.
     */

    /** {@code allow}: capacity a million refilling a million per second; {@code deny}: every key empty, refilling hourly. */
    @Param({"allow", "deny"})
    public String path;

    /** 1: one hot key; 100000: each call picks one of 100,000 keys uniformly at random. */
    @Param({"1", "100000"})
    public int keys;

    /**
     * How long the leasing tier's leases live, in milliseconds: 100 suits a hot key (a lease is used
     * up well within it); over many keys each visited seldom, a lease pays only when it outlives the
     * time between a key's visits (100,000 keys at 50,000 decisions/s: a visit every 2 s per key).
     */
    @Param({"100", "30000"})
    public long leaseMillis;

    /** Decisions each thread keeps outstanding: the concurrent callers. */
    @Param({"1", "64"})
    public int inFlight;

    RedisTokenBuckets buckets;

    @Setup(Level.Trial)
    public void setUp() {
        buckets = new RedisTokenBuckets(path.equals("deny"), keys, java.time.Duration.ofMillis(leaseMillis));
        buckets.deleteKeys();
        buckets.takeOnePermitEach(256);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buckets.deleteKeys();
        buckets.close();
    }

    /** One thread's outstanding decisions, in the order they were issued. */
    @State(Scope.Thread)
    public static class Callers {

        private @Nullable CompletableFuture<?>[] pending;
        private int next;
        private SplittableRandom random;
        private int keys;

        @Setup(Level.Trial)
        public void setUp(RedisTokenBucketBenchmark benchmark) {
            pending = new CompletableFuture<?>[benchmark.inFlight];
            random = new SplittableRandom(Thread.currentThread().threadId());
            keys = benchmark.keys;
        }

        /** Waits for the oldest decision when all slots are taken; returns the key for the next one. */
        int awaitSlot(Blackhole blackhole) {
            CompletableFuture<?> oldest = pending[next];
            if (oldest != null) {
                blackhole.consume(oldest.join());
            }
            return keys == 1 ? 0 : random.nextInt(keys);
        }

        void issued(CompletableFuture<?> decision) {
            pending[next] = decision;
            next = next + 1 == pending.length ? 0 : next + 1;
        }

        @TearDown(Level.Iteration)
        public void drain() {
            for (int i = 0; i < pending.length; i++) {
                CompletableFuture<?> decision = pending[i];
                if (decision != null) {
                    decision.join();
                    pending[i] = null;
                }
            }
        }
    }

    @Benchmark
    public void gatehouse(Callers callers, Blackhole blackhole) {
        int key = callers.awaitSlot(blackhole);
        callers.issued(buckets.gatehouse(key));
    }

    /** Gatehouse with {@code KeyedRateLimiter.cachingDenials}: keys over their limit are denied locally. */
    @Benchmark
    public void gatehouseCachingDenials(Callers callers, Blackhole blackhole) {
        int key = callers.awaitSlot(blackhole);
        callers.issued(buckets.gatehouseCachingDenials(key));
    }

    /** Gatehouse's two-tier limiter: decisions from this node's lease of the Redis limit (over the denial cache). */
    @Benchmark
    public void gatehouseLeasing(Callers callers, Blackhole blackhole) {
        int key = callers.awaitSlot(blackhole);
        callers.issued(buckets.gatehouseLeasing(key));
    }

    @Benchmark
    public void bucket4j(Callers callers, Blackhole blackhole) {
        int key = callers.awaitSlot(blackhole);
        callers.issued(buckets.bucket4j(key));
    }

    /** Bucket4j with its batching optimization, through one long-lived proxy per key. */
    @Benchmark
    public void bucket4jBatching(Callers callers, Blackhole blackhole) {
        int key = callers.awaitSlot(blackhole);
        callers.issued(buckets.bucket4jBatching(key));
    }
}
