package dev.gatehouse.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import org.junit.jupiter.api.Assumptions;

/**
 * The outside services integration tests use, found through environment variables. A service that
 * does not answer fails the test under {@code CI=true} and skips it elsewhere, with a reason that
 * names what is missing and how to provide it ({@link SkippedTestsReport} repeats it after the run).
 */
public final class RequiredServices {

    /** {@code GATEHOUSE_REDIS_URL}, by default the local Redis. */
    public static final String REDIS_URL =
            System.getenv().getOrDefault("GATEHOUSE_REDIS_URL", "redis://127.0.0.1:6379");

    private RequiredServices() {}

    /** {@link #REDIS_URL} once a TCP connection to it succeeds; otherwise the test fails or is skipped. */
    public static String redis() {
        URI uri = URI.create(REDIS_URL);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort()), 2000);
        } catch (IOException | IllegalArgumentException e) {
            missing("Redis at " + REDIS_URL + " (GATEHOUSE_REDIS_URL) does not answer: " + e.getMessage());
        }
        return REDIS_URL;
    }

    /**
     * Fails the test under {@code CI=true}, where a missing service is a failure; skips it otherwise,
     * saying that {@code problem} is why and how to make the service available.
     */
    public static void missing(String problem) {
        if ("true".equals(System.getenv("CI"))) {
            fail(problem + " (CI=true: a missing service is a failure)");
        }
        Assumptions.abort("SKIPPED: needs " + problem
                + ". Start the service or point its GATEHOUSE_* variable at it; set CI=true to make this a failure");
    }
}
