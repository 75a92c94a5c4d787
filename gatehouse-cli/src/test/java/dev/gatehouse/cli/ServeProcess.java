package dev.gatehouse.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code gatehouse serve} running in a process of its own, started from the test class path with
 * a small heap. Its output is read in the background: the listener lines of the startup banner give
 * the bound ports, and the newest lines are kept for failure reports.
 */
final class ServeProcess implements AutoCloseable {

    /*
     * Design: the process runs dev.gatehouse.cli.Main from the test JVM's class path (the classes
     * the shaded jar is made of), so a test of processes runs in the test phase without a packaged
     * jar. Several such processes share two cores with the build: each gets a small heap, the serial
     * collector and the C1 compiler only (they start in about half the time and serve tests' traffic
     * easily). Every process started is killed when the test JVM exits normally, even if a test
     * forgot it; a test JVM killed with SIGKILL cannot do that, which is why tests close them in a
     * finally or an @After method as well.
     */

    /** JVM options of every process: small heap, quick start. */
    static final List<String> JAVA_OPTIONS = List.of(
            "-Xms32m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError");

    /** How long a process may take to print where it listens. */
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private static final int KEPT_LINES = 300;
    private static final Pattern LISTENER = Pattern.compile("^\\s+(\\S.*?)\\s+http://[^\\s:]+:(\\d+)");
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "serve-process-reaper"));
    }

    private final Map<String, String> environment;
    private final List<String> flags;
    private final Process process;
    private final Map<String, CompletableFuture<Integer>> listeners = new ConcurrentHashMap<>();
    private final Deque<String> newestLines = new ArrayDeque<>();
    private volatile boolean outputEnded;

    private ServeProcess(Map<String, String> environment, List<String> flags) throws IOException {
        this.environment = Map.copyOf(environment);
        this.flags = List.copyOf(flags);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(JAVA_OPTIONS);
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "dev.gatehouse.cli.Main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--admin-port",
                "0",
                "--log-format",
                "text"));
        command.addAll(flags);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        this.process = builder.start();
        RUNNING.add(process);
        Thread reader = new Thread(this::readOutput, "serve-process-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code gatehouse serve} on 127.0.0.1 with ephemeral ports, {@code flags} added to the
     * command line and {@code environment} to the test JVM's; returns at once ({@link #port} waits).
     */
    static ServeProcess start(Map<String, String> environment, String... flags) {
        try {
            return new ServeProcess(environment, List.of(flags));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start gatehouse serve", e);
        }
    }

    /** A new process with this one's environment and flags (after a crash, say). */
    ServeProcess restarted() {
        try {
            return new ServeProcess(environment, flags);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart gatehouse serve", e);
        }
    }

    /**
     * The port of the listener the startup banner names {@code label} ({@code "rate API"}, {@code
     * "room API"}, {@code "admin"}), once printed; fails with the output when the process ends or
     * takes longer than {@link #STARTUP_TIMEOUT}.
     */
    int port(String label) {
        CompletableFuture<Integer> port = listeners.computeIfAbsent(label, ignored -> new CompletableFuture<>());
        if (outputEnded) {
            port.completeExceptionally(new IllegalStateException("the process ended"));
        }
        try {
            return port.get(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "gatehouse serve (pid " + pid() + ") did not print \"" + label + "\": " + e + "\n" + output());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + label, e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process at once, as a crash would (SIGKILL on Linux: no shutdown hook, no goodbye), and waits for it. */
    void kill() {
        process.destroyForcibly();
        awaitExit(STARTUP_TIMEOUT);
    }

    /** Asks the process to stop (SIGTERM), and kills it when it has not within ten seconds. */
    @Override
    public void close() {
        process.destroy();
        if (!awaitExit(Duration.ofSeconds(10))) {
            kill();
        }
    }

    /** The newest lines the process printed. */
    String output() {
        synchronized (newestLines) {
            return String.join("\n", newestLines);
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                RUNNING.remove(process);
            }
            return exited;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }

    private void readOutput() {
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                keep(line);
                Matcher matcher = LISTENER.matcher(line);
                if (matcher.find()) {
                    listeners
                            .computeIfAbsent(matcher.group(1), ignored -> new CompletableFuture<>())
                            .complete(Integer.parseInt(matcher.group(2)));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // the process was killed: its output closed under the reader, nothing more to read
        } finally {
            outputEnded = true;
            IllegalStateException ended = new IllegalStateException("the process ended");
            listeners.values().forEach(port -> port.completeExceptionally(ended));
        }
    }

    private void keep(String line) {
        synchronized (newestLines) {
            newestLines.addLast(line);
            if (newestLines.size() > KEPT_LINES) {
                newestLines.removeFirst();
            }
        }
    }
}
