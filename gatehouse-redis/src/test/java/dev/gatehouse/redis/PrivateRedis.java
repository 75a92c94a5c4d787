package dev.gatehouse.redis;

import dev.gatehouse.testing.RequiredServices;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@code redis-server} of the test's own on a free port, which the test may kill and start again:
 * for outage tests, and for counting commands where no other client can add to the counts.
 */
public final class PrivateRedis implements AutoCloseable {

    private static final long START_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int port;
    private final List<String> options;
    private Process process;

    private PrivateRedis(int port, List<String> options) {
        this.port = port;
        this.options = options;
    }

    /**
     * Starts one with {@code options} added to its command line, or fails (under {@code CI=true}) or
     * skips the test when there is no redis-server.
     */
    public static PrivateRedis start(String... options) {
        String binary = "redis-server";
        boolean found = System.getenv("PATH") != null
                && Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                        .anyMatch(dir -> new File(dir, binary).canExecute());
        if (!found) {
            RequiredServices.missing("a redis-server on the PATH, to start a private Redis of the test's own");
        }
        PrivateRedis redis = new PrivateRedis(freePort(), List.of(options));
        redis.startAgain();
        return redis;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server at once, as a crash would: no shutdown, nothing saved. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the server (again) on the same port, empty, and waits until it accepts connections. */
    public void startAgain() {
        try {
            List<String> command = new ArrayList<>(List.of(
                    "redis-server",
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no"));
            command.addAll(options);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server", e);
        }
        long deadline = System.nanoTime() + START_DEADLINE_NANOS;
        while (System.nanoTime() - deadline < 0) {
            try {
                new Socket("127.0.0.1", port).close();
                return;
            } catch (IOException notYet) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        throw new IllegalStateException("redis-server did not accept connections on port " + port);
    }

    @Override
    public void close() {
        kill();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
