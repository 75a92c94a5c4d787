package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.server.TestServer;
import dev.gatehouse.server.config.Setting;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rate service with {@code store.type=redis}, against the real Redis ({@code GATEHOUSE_REDIS_URL}). */
class RedisStoreTest {

    private static final String REDIS_URL =
            System.getenv().getOrDefault("GATEHOUSE_REDIS_URL", "redis://127.0.0.1:6379");
    private static final Pattern LISTENING = Pattern.compile("rate API\\s+http://[^:]+:(\\d+)");

    @TempDir
    Path dir;

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void redisAnswers() {
        URI uri = URI.create(REDIS_URL);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort())) {
            socket.setSoTimeout(1000);
        } catch (IOException e) {
            String problem = "Redis at " + REDIS_URL + " does not answer: " + e.getMessage();
            if ("true".equals(System.getenv("CI"))) {
                fail(problem + " (CI=true: a missing service is a failure)");
            }
            org.junit.jupiter.api.Assumptions.abort(problem);
        }
    }

    @Test
    void twoServerProcesses_sharingRedis_holdOneGlobalLimit() throws Exception {
        List<Process> processes = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Process process = serveInAnotherProcess(
                        "--store",
                        "redis",
                        "--redis-url",
                        REDIS_URL,
                        "--store-key-prefix",
                        prefix,
                        "--max-requests",
                        "100",
                        "--window-millis",
                        "60000",
                        "--store-nodes",
                        "2");
                processes.add(process);
                ports.add(awaitListening(process));
            }
            HttpClient client = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<Void>>> answers = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                URI uri = URI.create("http://127.0.0.1:" + ports.get(i % 2) + "/rate/shared-key");
                answers.add(client.sendAsync(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(20))
                                .build(),
                        HttpResponse.BodyHandlers.discarding()));
            }
            long allowed = 0;
            long denied = 0;
            for (CompletableFuture<HttpResponse<Void>> answer : answers) {
                int status = answer.get(30, TimeUnit.SECONDS).statusCode();
                allowed += status == 200 ? 1 : 0;
                denied += status == 429 ? 1 : 0;
            }

            assertThat(allowed).isEqualTo(100);
            assertThat(denied).isEqualTo(500);
        } finally {
            for (Process process : processes) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    @Test
    void debug_listsKeysThisNodeServed_withTheirStateFromRedis() {
        try (TestServer server = TestServer.start(redisStore(Map.of(Setting.MAX_REQUESTS, "2")))) {
            server.get("/rate/a");
            server.get("/rate/a");
            server.get("/rate/a");

            HttpResponse<String> debug = server.get("/debug/a");

            assertThat(debug.statusCode()).isEqualTo(200);
            assertThat(debug.body()).contains("\"NumApprovedThisWindow\":2", "\"NumDeniedThisWindow\":1");
            assertThat(server.get("/debug").body()).contains("\"a\"");
        }
    }

    @Test
    void overrideTheStoreCannotKeepExactly_is400NamingTheParameter() throws IOException {
        Path keys = dir.resolve("keys.json");
        Files.writeString(keys, """
                {"keys":[{"key_pattern":"sliding-.*","key_pattern_is_regex":true,"window_millis":3600000,
                          "algorithm":"sliding_window"}]}
                """);
        try (TestServer server = TestServer.start(redisStore(Map.of(Setting.CONFIG_FILE, keys.toString())))) {
            HttpResponse<String> refused = server.get("/rate/sliding-1?maxRequests=1000000000");
            HttpResponse<String> fine = server.get("/rate/sliding-1?maxRequests=1000");

            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body()).startsWith("maxRequests out of bounds for sliding_window over 3600000 ms: ");
            assertThat(fine.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void storeHealth_isExposedAsMetrics() {
        try (TestServer server = TestServer.start(redisStore(Map.of()))) {
            HttpResponse<String> metrics =
                    server.send(HttpRequest.newBuilder(server.admin("/metrics")).build());

            assertThat(metrics.body()).contains("gatehouse_store_healthy 1.0", "gatehouse_store_outages_total 0.0");
        }
    }

    private Map<Setting, String> redisStore(Map<Setting, String> more) {
        Map<Setting, String> settings = new java.util.EnumMap<>(Setting.class);
        settings.put(Setting.STORE, "redis");
        settings.put(Setting.REDIS_URL, REDIS_URL);
        settings.put(Setting.STORE_KEY_PREFIX, prefix);
        settings.putAll(more);
        return settings;
    }

    private static Process serveInAnotherProcess(String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.gatehouse.server.cli.Main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--admin-port",
                "0",
                "--log-format",
                "text"));
        command.addAll(List.of(flags));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Reads the process's output until it says where the rate API listens; returns the port. */
    private static int awaitListening(Process process) throws IOException {
        BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = lines.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher matcher = LISTENING.matcher(line);
            if (matcher.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        lines.lines().forEach(ignored -> {});
                    } catch (UncheckedIOException e) {
                        // the process was stopped: its output closed under the reader, nothing to drain
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(matcher.group(1));
            }
        }
        throw new IllegalStateException("the server exited before listening:\n" + seen);
    }
}
