package dev.gatehouse.bench;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.redis.RedisBackend;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Gatehouse's Redis token bucket and Bucket4j's Lettuce proxy manager, configured alike over the same
 * numbered keys of one Redis, each on its own single connection. Shared by {@link
 * RedisTokenBucketBenchmark} and {@link RedisCommandsPerDecision}.
 */
final class RedisTokenBuckets implements AutoCloseable {

    /*
     * Design: both sides are asked the same question per call, "may key k take one permit", with the
     * limit passed along (Gatehouse's spec, Bucket4j's configuration; Bucket4j's proxy is built per
     * call, the way a request handler uses it). Gatehouse runs one EVALSHA of its token-bucket script
     * on the server's clock. Bucket4j 8.19's Lettuce integration has one strategy, compare-and-swap:
     * GET the serialized bucket, compute on the client (its clock, milliseconds by default), then EVAL
     * a script that writes the new state only if the key still holds what was read, retrying on a
     * lost race. Bucket4j's batching optimization, which merges the calls a proxy has in flight on
     * one key into one compare-and-swap, works per proxy object, so that variant keeps one proxy per
     * key instead of building one per call.
     *
     * Both let Redis expire a key, Gatehouse once it has refilled, Bucket4j a minute after (the
     * refill-based expiration strategy its documentation suggests for Redis; the minute is ours). Gatehouse's cost is the same for a fresh key
     * and a known one; Bucket4j's is not (a fresh bucket takes GET, GET again with the
     * configuration, then EVAL of a SET NX script), so the set-up makes every key exist before the
     * measurement and the minute keeps it there: Bucket4j is measured on its cheaper path.
     */

    static final String URL = System.getenv().getOrDefault("GATEHOUSE_REDIS_URL", "redis://127.0.0.1:6379");

    static final String GATEHOUSE_PREFIX = "bench:gatehouse:";

    /** The two-tier limiter's lease: at most 64 permits, used within 100 ms. */
    static final long MAX_LEASE = 64;

    static final Duration LEASE_TIME = Duration.ofMillis(100);
    static final String BUCKET4J_PREFIX = "bench:bucket4j:";

    private final RedisBackend backend;
    private final KeyedRateLimiter gatehouse;
    private final KeyedRateLimiter gatehouseCachingDenials;
    private final KeyedRateLimiter gatehouseLeasing;
    private final TokenBucketSpec spec;
    private final RedisClient bucket4jClient;
    private final StatefulRedisConnection<String, byte[]> bucket4jConnection;
    private final AsyncProxyManager<String> bucket4j;
    private final AsyncBucketProxy[] bucket4jBatching;
    private final Supplier<CompletableFuture<BucketConfiguration>> configuration;
    private final StatefulRedisConnection<String, String> admin;
    private final String[] gatehouseKeys;
    private final String[] bucket4jKeys;

    /**
     * {@code exhausted = false}: capacity a million refilling a million per second, so that nearly
     * every call is allowed; {@code true}: capacity one refilling hourly, so that once each key has
     * taken its permit (see {@link #takeOnePermitEach}) every call is denied. Keys are numbered 0 to {@code
     * keys - 1}.
     */
    RedisTokenBuckets(boolean exhausted, int keys) {
        this(exhausted, keys, LEASE_TIME);
    }

    /** As {@link #RedisTokenBuckets(boolean, int)}, the leasing tier's leases living {@code leaseTime}. */
    RedisTokenBuckets(boolean exhausted, int keys, Duration leaseTime) {
        long capacity = exhausted ? 1 : 1_000_000;
        Duration period = exhausted ? Duration.ofHours(1) : Duration.ofSeconds(1);
        spec = LimitSpec.tokenBucket(capacity, capacity, period);
        CompletableFuture<BucketConfiguration> configured =
                CompletableFuture.completedFuture(BucketConfiguration.builder()
                        .addLimit(limit -> limit.capacity(capacity).refillGreedy(capacity, period))
                        .build());
        configuration = () -> configured;

        backend = RedisBackend.connect(URL);
        gatehouse = backend.rateLimiter(GATEHOUSE_PREFIX);
        gatehouseCachingDenials = KeyedRateLimiter.cachingDenials(gatehouse, NanoClock.system(), keys);
        gatehouseLeasing = KeyedRateLimiter.leasing(
                gatehouseCachingDenials, NanoClock.system(), leaseTime, MAX_LEASE, Math.max(keys, 1));
        bucket4jClient = RedisClient.create(URL);
        bucket4jConnection = bucket4jClient.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        bucket4j = Bucket4jLettuce.casBasedBuilder(bucket4jConnection)
                .expirationAfterWrite(
                        ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1)))
                .build()
                .asAsync();
        admin = bucket4jClient.connect();

        gatehouseKeys = new String[keys];
        bucket4jKeys = new String[keys];
        bucket4jBatching = new AsyncBucketProxy[keys];
        for (int i = 0; i < keys; i++) {
            gatehouseKeys[i] = "user-" + i;
            bucket4jKeys[i] = BUCKET4J_PREFIX + "user-" + i;
            bucket4jBatching[i] = bucket4j.builder()
                    .withOptimization(Optimizations.batching())
                    .build(bucket4jKeys[i], configuration);
        }
    }

    int keys() {
        return gatehouseKeys.length;
    }

    /** One Gatehouse decision for key {@code index}; completes with the {@code Decision}. */
    CompletableFuture<?> gatehouse(int index) {
        return gatehouse.decide(gatehouseKeys[index], spec, 1).toCompletableFuture();
    }

    /** One Gatehouse decision for key {@code index} behind the cache of keys found over their limit. */
    CompletableFuture<?> gatehouseCachingDenials(int index) {
        return gatehouseCachingDenials.decide(gatehouseKeys[index], spec, 1).toCompletableFuture();
    }

    /** One Gatehouse decision for key {@code index} from this node's lease of the Redis limit (the two-tier limiter). */
    CompletableFuture<?> gatehouseLeasing(int index) {
        return gatehouseLeasing.decide(gatehouseKeys[index], spec, 1).toCompletableFuture();
    }

    /** One Bucket4j decision for key {@code index}; completes with {@code true} when allowed. */
    CompletableFuture<Boolean> bucket4j(int index) {
        return bucket4j.builder().build(bucket4jKeys[index], configuration).tryConsume(1);
    }

    /** One Bucket4j decision for key {@code index} through its batching proxy. */
    CompletableFuture<Boolean> bucket4jBatching(int index) {
        return bucket4jBatching[index].tryConsume(1);
    }

    /**
     * Takes one permit of every key on both sides, {@code inFlight} calls at a time, so that every key
     * exists in Redis (and, when each holds one permit, is empty).
     */
    void takeOnePermitEach(int inFlight) {
        CompletableFuture<?>[] pending = new CompletableFuture<?>[inFlight];
        for (int i = 0; i < keys(); i++) {
            int slot = i % inFlight;
            if (pending[slot] != null) {
                pending[slot].join();
            }
            pending[slot] = CompletableFuture.allOf(gatehouse(i), bucket4j(i));
        }
        CompletableFuture.allOf(Arrays.stream(pending).filter(Objects::nonNull).toArray(CompletableFuture<?>[]::new))
                .join();
    }

    /** Deletes every key either side has written under its benchmark prefix; returns how many. */
    long deleteKeys() {
        return deleteMatching(GATEHOUSE_PREFIX + "*") + deleteMatching(BUCKET4J_PREFIX + "*");
    }

    private long deleteMatching(String pattern) {
        RedisCommands<String, String> redis = admin.sync();
        ScanArgs match = ScanArgs.Builder.matches(pattern).limit(1000);
        long deleted = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, match);
            if (!page.getKeys().isEmpty()) {
                deleted += redis.unlink(page.getKeys().toArray(String[]::new));
            }
            cursor = page;
        } while (!cursor.isFinished());
        return deleted;
    }

    /** Synchronous commands on a third connection, for cleaning up and reading the server's statistics. */
    RedisCommands<String, String> admin() {
        return admin.sync();
    }

    @Override
    public void close() {
        admin.close();
        bucket4jConnection.close();
        bucket4jClient.shutdown();
        backend.close();
    }
}
