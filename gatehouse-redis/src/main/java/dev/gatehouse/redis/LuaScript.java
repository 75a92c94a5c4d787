package dev.gatehouse.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A Lua script run by its SHA-1 ({@code EVALSHA}), loaded again transparently when Redis has forgotten it. */
final class LuaScript {

    private final String source;
    private final String sha1;

    LuaScript(String source) {
        this.source = source;
        this.sha1 = sha1(source);
    }

    /** Runs the script atomically on one key, returning its integer result. */
    long run(RedisCommands<String, String> redis, String key, String... arguments) {
        String[] keys = {key};
        try {
            return redis.<Long>evalsha(sha1, ScriptOutputType.INTEGER, keys, arguments);
        } catch (RedisNoScriptException e) {
            redis.scriptLoad(source); // after a restart or SCRIPT FLUSH
            return redis.<Long>evalsha(sha1, ScriptOutputType.INTEGER, keys, arguments);
        }
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
