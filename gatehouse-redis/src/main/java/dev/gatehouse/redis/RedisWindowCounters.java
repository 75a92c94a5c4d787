package dev.gatehouse.redis;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.window.WindowCounters;
import dev.gatehouse.redis.internal.LuaScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link WindowCounters} in Redis, shared by every node using it: each counter is one key, added to
 * with {@code INCRBY} and given its time to live on its first hit, in one script (so a counter never
 * lives without an expiry). A request's counters are sent together on the shared connection
 * (pipelined), each script on its own key, so they may lie in different Cluster slots.
 */
final class RedisWindowCounters implements WindowCounters {

    /*
     * A count stops at 2^52 (MemoryWindowCounters.SATURATED), past every limit: the script sets it
     * there (keeping its expiry) instead of adding, so INCRBY never overflows and Lua's doubles stay
     * exact (hits are at most 2^32). KEEPTTL needs Redis 6.
     */
    private static final LuaScript ADD = new LuaScript("""
            local saturated = 4503599627370496
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local after
            if current + tonumber(ARGV[1]) >= saturated then
              redis.call('SET', KEYS[1], '4503599627370496', 'KEEPTTL')
              after = saturated
            else
              after = redis.call('INCRBY', KEYS[1], ARGV[1])
            end
            if redis.call('TTL', KEYS[1]) == -1 then
              redis.call('EXPIRE', KEYS[1], ARGV[2])
            end
            return after
            """);

    private final RedisClusterAsyncCommands<String, String> redis;
    private final String keyPrefix;

    RedisWindowCounters(RedisClusterAsyncCommands<String, String> redis, String keyPrefix) {
        this.redis = redis;
        this.keyPrefix = Require.given("keyPrefix", keyPrefix, "a prefix, possibly empty");
    }

    @Override
    public CompletionStage<long[]> add(List<String> keys, long[] hits, long[] ttlSeconds) {
        List<CompletableFuture<Long>> replies = new ArrayList<>(keys.size());
        try {
            for (int i = 0; i < keys.size(); i++) {
                replies.add(ADD.<Long>run(
                                redis,
                                ScriptOutputType.INTEGER,
                                new String[] {keyPrefix + keys.get(i)},
                                Long.toString(hits[i]),
                                Long.toString(Math.max(1, ttlSeconds[i])))
                        .toCompletableFuture());
            }
        } catch (RuntimeException e) { // a client already shut down throws instead of failing the stage
            return CompletableFuture.failedStage(e);
        }
        return CompletableFuture.allOf(replies.toArray(CompletableFuture<?>[]::new))
                .thenApply(done ->
                        replies.stream().mapToLong(CompletableFuture::join).toArray());
    }
}
