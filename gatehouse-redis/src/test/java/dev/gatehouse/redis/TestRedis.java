package dev.gatehouse.redis;

import dev.gatehouse.testing.RequiredServices;
import java.time.Duration;

/**
 * The Redis server the integration tests use: {@code GATEHOUSE_REDIS_URL}, by default the local one.
 * When it does not answer, the tests fail under {@code CI=true} and are skipped otherwise ({@link
 * RequiredServices}).
 */
public final class TestRedis {

    public static final String URL = RequiredServices.REDIS_URL;

    private TestRedis() {}

    /** A connected backend, or the test fails (CI) or is skipped (elsewhere). */
    public static RedisBackend connect() {
        return connect(RedisBackend.DEFAULT_COMMAND_TIMEOUT);
    }

    /** As {@link #connect()}, with commands timing out after {@code commandTimeout}. */
    public static RedisBackend connect(Duration commandTimeout) {
        try {
            return RedisBackend.connect(URL, commandTimeout);
        } catch (RuntimeException e) {
            RequiredServices.missing("Redis at " + URL + " (GATEHOUSE_REDIS_URL) does not answer: " + e.getMessage());
            throw e;
        }
    }
}
