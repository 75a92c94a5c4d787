package dev.gatehouse.redis;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.redis.internal.LuaScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** A {@link NonceStore} in Redis: one atomic script per put, on the server's clock, answered asynchronously. */
final class RedisNonceStore implements NonceStore {

    /*
     * Design: putIfAbsent is one EVALSHA that reads the server's TIME, refuses an id whose expiry has
     * come, and otherwise SETs the key NX with PXAT expiry + retention. Deciding on the server's clock
     * makes the nodes' own clocks irrelevant to whether an id is still live; the retention keeps an id
     * past its expiry for verifiers whose clocks lag. Lua numbers are doubles, so the script only
     * compares milliseconds (exact below 2^53) and passes the keep-until time to SET as the string it
     * received. Both calls use Lettuce's asynchronous API on the backend's shared connection, so
     * they never block and concurrent ones are pipelined. Any failure to get an answer (the
     * command timeout, a lost connection, a client shut down) fails the stage with
     * NonceStoreUnavailableException: a store never answers "first use" in doubt.
     */

    private static final LuaScript PUT_IF_ABSENT = new LuaScript("""
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            if tonumber(ARGV[1]) <= now then
              return 0
            end
            if redis.call('SET', KEYS[1], '1', 'NX', 'PXAT', ARGV[2]) then
              return 1
            end
            return 0
            """);

    /** The latest keep-until time passed to Redis: 9999-12-31, far inside what PXAT accepts. */
    private static final long LATEST_KEEP_UNTIL_MILLIS = 253_402_300_799_999L;

    private final RedisClusterAsyncCommands<String, String> redis;
    private final String keyPrefix;

    RedisNonceStore(RedisClusterAsyncCommands<String, String> redis, String keyPrefix) {
        this.redis = redis;
        this.keyPrefix = Require.given("keyPrefix", keyPrefix, "a prefix, possibly empty");
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
        Require.given("id", id, "an id");
        long expires = Math.min(expiresAtMillis, LATEST_KEEP_UNTIL_MILLIS);
        long keepUntil = Math.min(expires + RETENTION_AFTER_EXPIRY_MILLIS, LATEST_KEEP_UNTIL_MILLIS);
        String[] keys = {keyPrefix + id};
        return answer(() -> PUT_IF_ABSENT.<Long>run(
                        redis, ScriptOutputType.INTEGER, keys, Long.toString(expires), Long.toString(keepUntil)))
                .thenApply(put -> put == 1);
    }

    @Override
    public CompletionStage<Boolean> contains(String id) {
        Require.given("id", id, "an id");
        return answer(() -> redis.exists(keyPrefix + id)).thenApply(count -> count > 0);
    }

    /** The reply of {@code command}; any failure to get one fails the stage as unavailable. */
    private static <T> CompletionStage<T> answer(Supplier<CompletionStage<T>> command) {
        CompletionStage<T> reply;
        try {
            reply = command.get();
        } catch (RuntimeException e) { // a client already shut down throws instead of failing the stage
            return CompletableFuture.failedStage(unavailable(e));
        }
        return reply.exceptionallyCompose(error -> CompletableFuture.failedStage(unavailable(error)));
    }

    /** Any failure to get an answer: a timeout, a lost connection, an error reply, or a client shut down. */
    private static NonceStoreUnavailableException unavailable(Throwable error) {
        Throwable cause = Failures.cause(error);
        return new NonceStoreUnavailableException("nonce store: Redis did not answer (" + cause + ")", cause);
    }
}
