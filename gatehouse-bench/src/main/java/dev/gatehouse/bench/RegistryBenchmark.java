package dev.gatehouse.bench;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.keyed.TokenBucketTable;
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
 * worst case). Gatehouse's registry of limiter objects and its flat table of token buckets against
 * the usual hand-made alternative, Bucket4j buckets in a ConcurrentHashMap.
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

    /**
     * {@code prebuilt}: each key a string built in set-up (its hash code cached, its object and bytes
     * cold when the lookups go everywhere: two more cache misses a call); {@code fresh}: the key built
     * at each call, as a server parses it from a request (hot, its hash code not computed yet).
     */
    @Param({"prebuilt", "fresh"})
    public String keys;

    private boolean fresh;

    private String[] names;
    private LimiterRegistry<LimitSpec, RateLimiter> gatehouse;
    private TokenBucketTable table;
    private ConcurrentHashMap<String, Bucket> bucket4j;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        TokenBucketSpec spec = LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1));
        // kept an hour once full: no key is evicted while the benchmark runs, every call a lookup
        gatehouse = LimiterRegistry.forSpecs(key -> spec, NanoClock.system())
                .maximumKeys(KEYS)
                .idleTime(Duration.ofHours(1))
                .build();
        table = TokenBucketTable.builder(spec)
                .maximumKeys(KEYS)
                .idleTime(Duration.ofHours(1))
                .build();
        bucket4j = new ConcurrentHashMap<>();
        fresh = keys.equals("fresh");
        names = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            names[i] = name(i);
            try (LimiterRegistry.Held<RateLimiter> held = requireNonNull(gatehouse.hold(names[i]))) { // room for KEYS
                held.limiter().tryAcquire(1);
            }
            table.tryAcquire(names[i], 1);
            bucket4j.computeIfAbsent(names[i], RegistryBenchmark::newBucket).tryConsume(1);
        }
    }

    private static Bucket newBucket(String key) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(1_000_000).refillGreedy(1_000_000, Duration.ofSeconds(1)))
                .withNanosecondPrecision()
                .build();
    }

    private static String name(int index) {
        return "client-" + Integer.toHexString(index * 0x9E3779B1);
    }

    private String nextKey() {
        // An odd stride visits every one of the looked-up keys; they lie spread over the whole array.
        cursor = (cursor + 0x9E3779B1) & (lookedUp - 1);
        int index = cursor * (KEYS / lookedUp);
        return fresh ? name(index) : names[index];
    }

    /** The key alone, as the others get it: what each of them costs beyond it. */
    @Benchmark
    public String keyOnly() {
        return nextKey();
    }

    @Benchmark
    public boolean gatehouse() {
        // every key was made in setUp and none is evicted (maximumKeys is KEYS), so it is held
        try (LimiterRegistry.Held<RateLimiter> held = requireNonNull(gatehouse.hold(nextKey()))) {
            return held.limiter().tryAcquire(1);
        }
    }

    @Benchmark
    public boolean gatehouseTable() {
        return table.tryAcquire(nextKey(), 1);
    }

    @Benchmark
    public boolean bucket4jInConcurrentHashMap() {
        return bucket4j.computeIfAbsent(nextKey(), RegistryBenchmark::newBucket).tryConsume(1);
    }
}
