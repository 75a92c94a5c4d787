package dev.gatehouse.redis;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The Redis server the integration tests use: {@code GATEHOUSE_REDIS_URL}, by default the local one.
 * When it does not answer, the tests fail under {@code CI=true} and are skipped otherwise.
 */
final class TestRedis {

    static final String URL = System.getenv().getOrDefault("GATEHOUSE_REDIS_URL", "redis://127.0.0.1:6379");

    private TestRedis() {}

    /** A connected backend, or the test fails (CI) or is skipped (elsewhere). */
    static RedisBackend connect() {
        try {
            return RedisBackend.connect(URL);
        } catch (RuntimeException e) {
            String problem = "Redis at " + URL + " does not answer: " + e.getMessage();
            if ("true".equals(System.getenv("CI"))) {
                fail(problem + " (CI=true: a missing service is a failure)");
            }
            Assumptions.abort(problem);
            throw e;
        }
    }
}
