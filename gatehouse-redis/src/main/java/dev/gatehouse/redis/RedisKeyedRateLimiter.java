package dev.gatehouse.redis;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.FixedWindowSpec;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.SlidingWindowSpec;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.redis.internal.LimiterLua;
import dev.gatehouse.redis.internal.LuaScript;
import dev.gatehouse.redis.internal.RedisFailures;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/** Limits per key kept in Redis: every call is one {@code EVALSHA} of the algorithm's script. */
final class RedisKeyedRateLimiter implements KeyedRateLimiter {

    /*
     * Design: the state of a key lives in one string (a concurrency limiter keeps a hash and a
     * sorted set of leases) named prefix + algorithm + ":{k" + key + "}". The hash tag is never empty
     * (a key starting with '}' would otherwise make Redis hash each name whole), so everything a
     * script touches lies in one Cluster slot; and a key whose algorithm is reconfigured starts
     * afresh instead of reading another algorithm's state (the old state expires by itself).
     *
     * Only failures that say nothing was decided because of Redis itself (no answer, no
     * connection, a server busy loading, read-only, out of memory, or a cluster without quorum) are
     * LimiterUnavailableException, which degrades the node; any other error reply fails the one
     * call, so no key a client chooses can put a node into its fallback. Nothing is cached on this node: the spec travels with every call, which is
     * what lets per-key overrides and reloads take effect everywhere at once. Calls are asynchronous
     * on the backend's shared connection, so concurrent decisions are pipelined.
     *
     * A concurrency grant's decision carries its lease (the time it ends, in microseconds on the
     * script's clock, unique per key: see LimiterScripts.CONCURRENCY), and a release that names it
     * gives back that grant only; windows and buckets keep no leases (Decision.NO_LEASE) and ignore
     * a named one.
     *
     * Scripts compute with Lua doubles, exact below 2^53, and keep every operand below 2^52 so that
     * divisions round exactly; specs whose arithmetic could go beyond are refused up front with IllegalArgumentException (see check), and times must be whole
     * microseconds, the resolution of Redis's TIME.
     */

    /** Lua doubles hold every integer up to this bound exactly. */
    static final long EXACT_LIMIT = 1L << 53;

    /** Stands for "judge time by the Redis server's clock". */
    static final @Nullable LongSupplier SERVER_CLOCK = null;

    private static final String DECIDE = "d";
    private static final String RELEASE = "r";
    private static final String SNAPSHOT = "s";
    private final RedisClusterAsyncCommands<String, String> redis;
    private final String keyPrefix;
    private final long leaseMicros;
    private final @Nullable LongSupplier pinnedMicros;

    /**
     * Keys under {@code keyPrefix}; concurrency leases of {@code leaseMicros}; time from {@code
     * pinnedMicros}, or the server's clock when it is {@link #SERVER_CLOCK} (tests pin it).
     */
    RedisKeyedRateLimiter(
            RedisClusterAsyncCommands<String, String> redis,
            String keyPrefix,
            long leaseMicros,
            @Nullable LongSupplier pinnedMicros) {
        this.redis = redis;
        this.keyPrefix = Require.given("keyPrefix", keyPrefix, "a prefix, possibly empty");
        if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
            throw new IllegalArgumentException(
                    "keyPrefix: " + keyPrefix + " (expected: no braces, they would break the key's hash tag)");
        }
        this.leaseMicros = leaseMicros;
        this.pinnedMicros = pinnedMicros;
    }

    /**
     * Why {@code spec} cannot be decided exactly in Redis, naming the bound (times must be whole
     * microseconds, and its arithmetic must stay below 2^53); empty when it can.
     */
    static Optional<String> refusal(LimitSpec spec) {
        switch (spec) {
            case TokenBucketSpec bucket -> {
                if (bucket.capacity() > (EXACT_LIMIT / 2) / bucket.refillPeriodNanos()) {
                    return Optional.of("token bucket: capacity " + bucket.capacity() + " × period "
                            + bucket.refillPeriodNanos() + " ns (expected: <= 2^52 in Redis)");
                }
                if (bucket.refillPermits() > (EXACT_LIMIT / 2) / 1000) {
                    return Optional.of("token bucket: " + bucket.refillPermits() + " permits per "
                            + bucket.refillPeriodNanos() + " ns in lowest terms (expected: <= 2^52 / 1000 in Redis)");
                }
            }
            case FixedWindowSpec window -> {
                if (window.windowNanos() % 1000 != 0) {
                    return Optional.of(notWholeMicros(window.windowNanos()));
                }
                if (window.windowNanos() / 1000 > EXACT_LIMIT / 2) {
                    return Optional.of("fixed window: " + window.windowNanos() + " ns (expected: <= 2^52 µs in Redis)");
                }
            }
            case SlidingWindowSpec window -> {
                if (window.windowNanos() % 1000 != 0) {
                    return Optional.of(notWholeMicros(window.windowNanos()));
                }
                long micros = window.windowNanos() / 1000;
                if (window.maxPerWindow() > (EXACT_LIMIT / 2) / micros) {
                    return Optional.of("sliding window: maxPerWindow " + window.maxPerWindow() + " × window " + micros
                            + " µs (expected: <= 2^52 in Redis)");
                }
            }
            case ConcurrencySpec concurrency -> {
                if (concurrency.maxInFlight() > EXACT_LIMIT / 2) {
                    return Optional.of(
                            "concurrency: maxInFlight " + concurrency.maxInFlight() + " (expected: <= 2^52 in Redis)");
                }
            }
        }
        return Optional.empty();
    }

    /** Returns {@code spec}, or throws {@link IllegalArgumentException} with its {@link #refusal}. */
    static LimitSpec check(LimitSpec spec) {
        Optional<String> refusal = refusal(spec);
        if (refusal.isPresent()) {
            throw new IllegalArgumentException(refusal.get());
        }
        return spec;
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return this.<List<Long>>call(key, spec, permits, DECIDE, Decision.NO_LEASE)
                .thenApply(RedisKeyedRateLimiter::toDecision);
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        return this.<List<Long>>call(key, spec, permits, RELEASE, lease).thenApply(ignored -> null);
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return this.<List<Long>>call(key, spec, 1, SNAPSHOT, Decision.NO_LEASE)
                .thenApply(reply -> reply.get(0) == 0
                        ? Optional.empty()
                        : Optional.of(new LimiterSnapshot(
                                spec, reply.get(1), reply.get(2), 0, LimiterLua.nanos(reply.get(3)))));
    }

    private <T> CompletionStage<T> call(String key, LimitSpec spec, long permits, String mode, long lease) {
        Require.given("key", key, "a key");
        Require.atLeast("permits", permits, 1);
        check(spec);
        if (lease < 0 || lease >= EXACT_LIMIT / 2) {
            // leases this limiter grants are below 2^52; another's (a fallback's, say) never reach it
            throw new IllegalArgumentException("lease: " + lease + " (expected: 0 or a lease Redis granted)");
        }
        String state = keyPrefix + spec.algorithm() + ":{k" + key + "}";
        String now = pinnedMicros == null ? "" : Long.toString(pinnedMicros.getAsLong()); // null: SERVER_CLOCK
        CompletionStage<T> reply;
        try {
            reply = run(spec, state, now, mode, permits, lease);
        } catch (RuntimeException e) { // a client already shut down throws instead of failing the stage
            return CompletableFuture.failedStage(unavailable(e));
        }
        return reply.exceptionallyCompose(error -> CompletableFuture.failedStage(unavailable(error)));
    }

    /** Runs the script of {@code spec}'s algorithm on {@code state} with the spec's figures as numbers. */
    private <T> CompletionStage<T> run(
            LimitSpec spec, String state, String now, String mode, long permits, long lease) {
        String[] oneKey = {state};
        return switch (spec) {
            case TokenBucketSpec bucket -> {
                long tolerance = bucket.capacity() * bucket.refillPeriodNanos();
                long refillMicros = Math.ceilDiv(Math.ceilDiv(tolerance, bucket.refillPermits()), 1000);
                yield script(
                        LimiterScripts.TOKEN_BUCKET,
                        oneKey,
                        now,
                        mode,
                        bucket.capacity(),
                        bucket.refillPermits(),
                        bucket.refillPeriodNanos(),
                        permits,
                        refillMicros);
            }
            case FixedWindowSpec window ->
                script(
                        LimiterScripts.FIXED_WINDOW,
                        oneKey,
                        now,
                        mode,
                        window.maxPerWindow(),
                        window.windowNanos() / 1000,
                        permits,
                        idleMillis(window));
            case SlidingWindowSpec window ->
                script(
                        LimiterScripts.SLIDING_WINDOW,
                        oneKey,
                        now,
                        mode,
                        window.maxPerWindow(),
                        window.windowNanos() / 1000,
                        permits,
                        idleMillis(window));
            case ConcurrencySpec concurrency ->
                script(
                        LimiterScripts.CONCURRENCY,
                        new String[] {state, state + ":leases"},
                        now,
                        mode,
                        concurrency.maxInFlight(),
                        permits,
                        leaseMicros,
                        lease);
        };
    }

    private <T> CompletionStage<T> script(LuaScript script, String[] keys, String now, String mode, long... numbers) {
        String[] arguments = new String[2 + numbers.length];
        arguments[0] = now;
        arguments[1] = mode;
        for (int i = 0; i < numbers.length; i++) {
            arguments[2 + i] = Long.toString(numbers[i]);
        }
        return script.run(redis, ScriptOutputType.MULTI, keys, arguments);
    }

    private static Decision toDecision(List<Long> reply) {
        return LimiterLua.decision(reply, 0, reply.size() > 4);
    }

    /**
     * The spec's idle time in whole milliseconds, rounded up (Redis's expiry unit): at most 2^63 ns,
     * about 9.2 × 10^12 ms, well within both Lua's exact integers and Redis's expiry range.
     */
    private static long idleMillis(LimitSpec spec) {
        return Math.ceilDiv(spec.idleNanos(), 1_000_000L);
    }

    private static String notWholeMicros(long nanos) {
        return "window: " + nanos + " ns (expected: whole microseconds, the resolution of Redis's clock)";
    }

    private static RuntimeException unavailable(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (!RedisFailures.isOutage(cause)) {
            return new IllegalStateException(
                    "rate limiter: Redis refused the call (" + cause.getMessage() + ")", cause);
        }
        return new LimiterUnavailableException("rate limiter: Redis did not answer (" + cause + ")", cause);
    }
}
