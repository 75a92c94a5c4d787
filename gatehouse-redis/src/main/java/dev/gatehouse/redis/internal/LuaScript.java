package dev.gatehouse.redis.internal;

import dev.gatehouse.core.internal.Failures;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}); when Redis has forgotten it (a restart, {@code
 * SCRIPT FLUSH}) it is sent once more with {@code EVAL}, which also caches it again.
 */
public final class LuaScript {

    private final String source;
    private final String sha1;

    public LuaScript(String source) {
        this.source = source;
        this.sha1 = sha1(source);
    }

    /** Runs the script atomically on {@code keys}, which must share one Cluster slot. */
    public <T> CompletionStage<T> run(
            RedisClusterAsyncCommands<String, String> redis,
            ScriptOutputType type,
            String[] keys,
            String... arguments) {
        return redis.<T>evalsha(sha1, type, keys, arguments).exceptionallyCompose(error -> {
            Throwable cause = Failures.cause(error);
            return cause instanceof RedisNoScriptException
                    ? redis.<T>eval(source, type, keys, arguments)
                    : CompletableFuture.failedStage(cause);
        });
    }

    private static String sha1(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java platform", e);
        }
    }
}
