package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RequiredServices;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code gatehouse serve} processes sharing one Redis ({@code GATEHOUSE_REDIS_URL}) hold one limit together. */
class SharedRedisProcessesTest {

    private static final String REDIS_URL = RequiredServices.REDIS_URL;
    private static final Pattern LISTENING = Pattern.compile("rate API\\s+http://[^:]+:(\\d+)");

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
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

    private static Process serveInAnotherProcess(String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
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
