package dev.gatehouse.redis;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * The Redis server the integration tests use: {@code GATEHOUSE_REDIS_URL}, by default the local one.
 * When it does not answer, the tests fail under {@code CI=true} and are skipped otherwise, saying so
 * on standard error and in the skip reason.
 */
final class TestRedis {

    static final String URL = System.getenv().getOrDefault("GATEHOUSE_REDIS_URL", "redis://127.0.0.1:6379");

    /** Test classes whose skip was printed already: once per class is loud enough. */
    private static final Set<String> LOUDLY_SKIPPED = ConcurrentHashMap.newKeySet();

    private TestRedis() {}

    /** A connected backend, or the test fails (CI) or is skipped (elsewhere). */
    static RedisBackend connect() {
        return connect(RedisBackend.DEFAULT_COMMAND_TIMEOUT);
    }

    /** As {@link #connect()}, with commands timing out after {@code commandTimeout}. */
    static RedisBackend connect(Duration commandTimeout) {
        try {
            return RedisBackend.connect(URL, commandTimeout);
        } catch (RuntimeException e) {
            missing("Redis at " + URL + " (GATEHOUSE_REDIS_URL) does not answer: " + e.getMessage());
            throw e;
        }
    }

    /**
     * Fails the test under {@code CI=true} (a missing service is a failure there), and otherwise skips
     * it with a reason that names what is missing and how to provide it, printed to standard error
     * too, so that a skipped integration test is never mistaken for a passed one.
     */
    static void missing(String problem) {
        if ("true".equals(System.getenv("CI"))) {
            fail(problem + " (CI=true: a missing service is a failure)");
        }
        String reason = "needs a Redis server: " + problem
                + ". Start one or point GATEHOUSE_REDIS_URL at it; set CI=true to make this a failure";
        String testClass = callingTestClass();
        if (LOUDLY_SKIPPED.add(testClass)) {
            System.err.println("[gatehouse-redis] SKIPPED tests of " + testClass + ", which " + reason);
        }
        Assumptions.abort("SKIPPED: " + reason);
    }

    /** The simple name of the test class that asked. */
    private static String callingTestClass() {
        return StackWalker.getInstance()
                .walk(frames -> frames.map(StackWalker.StackFrame::getClassName)
                        .filter(name -> name.endsWith("Test"))
                        .map(name -> name.substring(name.lastIndexOf('.') + 1))
                        .findFirst()
                        .orElse("a Redis test class"));
    }
}
