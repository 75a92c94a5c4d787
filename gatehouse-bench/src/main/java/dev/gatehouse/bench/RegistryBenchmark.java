package dev.gatehouse.bench;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.core.time.NanoClock;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * A registry holding a million keys: look a key up and take a permit. {@code lookedUp} is how many
 * distinct keys the lookups cycle over, scattered among the million: 1,024 is a hot set that stays in
 * the CPU caches, 1,048,576 visits every key in turn so that nearly every lookup misses them (the
 * worst case). Gatehouse's registry against the usual hand-made alternative, Bucket4j buckets in a
 * ConcurrentHashMap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class RegistryBenchmark {

    private static final int KEYS = 1 << 20;

    @Param({"1024", "1048576"})
    public int lookedUp;

    private String[] names;
    private LimiterRegistry<LimitSpec, RateLimiter> gatehouse;
    private ConcurrentHashMap<String, Bucket> bucket4j;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        TokenBucketSpec spec = LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1));
        gatehouse = LimiterRegistry.forSpecs(key -> spec, NanoClock.system())
                .maximumKeys(KEYS)
                .build();
        bucket4j = new ConcurrentHashMap<>();
        names = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            names[i] = "client-" + Integer.toHexString(i * 0x9E3779B1);
            try (LimiterRegistry.Held<RateLimiter> held = requireNonNull(gatehouse.hold(names[i]))) { // room for KEYS
                held.limiter().tryAcquire(1);
            }
            bucket4j.computeIfAbsent(names[i], RegistryBenchmark::newBucket).tryConsume(1);
        }
    }

    private static Bucket newBucket(String key) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(1_000_000).refillGreedy(1_000_000, Duration.ofSeconds(1)))
                .withNanosecondPrecision()
                .build();
    }

    private String nextKey() {
        // An odd stride visits every one of the looked-up keys; they lie spread over the whole array.
        cursor = (cursor + 0x9E3779B1) & (lookedUp - 1);
        return names[cursor * (KEYS / lookedUp)];
    }

    @Benchmark
    public boolean gatehouse() {
        // every key was made in setUp and none is evicted (maximumKeys is KEYS), so it is held
        try (LimiterRegistry.Held<RateLimiter> held = requireNonNull(gatehouse.hold(nextKey()))) {
            return held.limiter().tryAcquire(1);
        }
    }

    @Benchmark
    public boolean bucket4jInConcurrentHashMap() {
        return bucket4j.computeIfAbsent(nextKey(), RegistryBenchmark::newBucket).tryConsume(1);
    }
}
