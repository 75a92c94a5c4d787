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

    /** {@code GATEHOUSE_JDBC_URL}, by default the local PostgreSQL's database {@code test} as {@code postgres}. */
    public static final String JDBC_URL =
            System.getenv().getOrDefault("GATEHOUSE_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

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
     * {@link #JDBC_URL} once a TCP connection to its host and port succeeds; otherwise the test fails
     * or is skipped. Whether the database accepts the login is for the test's first connection to say.
     */
    public static String postgres() {
        try (Socket socket = new Socket()) {
            URI uri = URI.create(JDBC_URL.substring("jdbc:".length()));
            String host = uri.getHost() == null ? "localhost" : uri.getHost();
            socket.connect(new InetSocketAddress(host, uri.getPort() == -1 ? 5432 : uri.getPort()), 2000);
        } catch (IOException | IllegalArgumentException | IndexOutOfBoundsException e) {
            missing("PostgreSQL at " + JDBC_URL.replaceAll("password=[^&]*", "password=***")
                    + " (GATEHOUSE_JDBC_URL) does not answer: " + e.getMessage());
        }
        return JDBC_URL;
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
