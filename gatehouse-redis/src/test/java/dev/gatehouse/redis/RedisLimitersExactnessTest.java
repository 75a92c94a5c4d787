package dev.gatehouse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.SlidingWindowSpec;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.testing.ManualClock;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Redis scripts against the in-memory limiters with specs at the bounds of the scripts' exact
 * arithmetic (operands up to 2^52, where Lua's doubles still divide exactly): every decision the same.
 * A guard: the scripts compute in doubles, the in-memory limiters in 64- and 128-bit integers.
 */
class RedisLimitersExactnessTest {

    private static final long SEED = 42;
    private static final int STEPS = 2_000;
    private static final long MICRO = 1_000;

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private RedisBackend backend;

    @BeforeEach
    void connect() {
        backend = TestRedis.connect();
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    static Stream<LimitSpec> specsAtTheBound() {
        return Stream.of(
                new TokenBucketSpec((1L << 52) / 999_999_937L, 1, 999_999_937L), // capacity × period at 2^52
                new TokenBucketSpec((1L << 52) / 1_000_000_000_000L, 999_999_999L, 1_000_000_000_000L),
                new TokenBucketSpec(4_000_000L, 999_999_999L, 1_000_000_000L), // near 10^9/s, a large burst
                new TokenBucketSpec((1L << 52) / 3_000_000_000L, 7, 3_000_000_000L),
                new SlidingWindowSpec((1L << 52) / 4_503_599L, 4_503_599_000L), // max × window (µs) at 2^52
                new SlidingWindowSpec(999_999_999L, 4_503_000L));
    }

    @ParameterizedTest
    @MethodSource("specsAtTheBound")
    void decide_specAtTheExactnessBound_decidesAsTheInMemoryLimiter(LimitSpec spec) {
        assertThat(RedisBackend.refusal(spec)).isEmpty();
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        KeyedRateLimiter redis =
                new RedisKeyedRateLimiter(backend.commands(), prefix, 60_000_000L, () -> clock.nowNanos() / MICRO);
        KeyedRateLimiter memory = KeyedRateLimiter.inMemory(
                LimiterRegistry.forSpecs(key -> spec, clock).build());
        String key = "bound-" + UUID.randomUUID();
        Random random = new Random(SEED);
        long limit = spec.limit();
        for (int step = 0; step < STEPS; step++) {
            long micros = random.nextInt(4) == 0 ? (long) (random.nextDouble() * 3_000_000) : random.nextInt(50);
            clock.advanceNanos(micros * MICRO);
            long permits = 1 + (long) (random.nextDouble() * Math.min(limit, 1L << 40) / (1 + random.nextInt(8)));
            if (random.nextInt(7) == 0) {
                memory.release(key, spec, permits).toCompletableFuture().join();
                redis.release(key, spec, permits).toCompletableFuture().join();
                continue;
            }
            Decision expected =
                    memory.decide(key, spec, permits).toCompletableFuture().join();
            Decision actual =
                    redis.decide(key, spec, permits).toCompletableFuture().join();

            String where = "seed " + SEED + ", step " + step + ", " + permits + " permits";
            assertThat(actual.outcome()).as(where).isEqualTo(expected.outcome());
            assertThat(actual.remaining()).as(where).isEqualTo(expected.remaining());
            assertSameTime(where + ", retry", actual.nanosUntilRetry(), expected.nanosUntilRetry());
            assertSameTime(where + ", reset", actual.nanosUntilReset(), expected.nanosUntilReset());
        }
    }

    /** Redis's times are whole microseconds, rounded up. */
    private static void assertSameTime(String where, long actual, long expected) {
        if (expected == Decision.NEVER) {
            assertThat(actual).as(where).isEqualTo(Decision.NEVER);
        } else {
            assertThat(actual).as(where).isBetween(expected, expected + MICRO - 1);
        }
    }
}
