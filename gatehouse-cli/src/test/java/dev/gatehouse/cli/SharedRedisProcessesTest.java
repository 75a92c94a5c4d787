package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RequiredServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code gatehouse serve} processes sharing one Redis ({@code GATEHOUSE_REDIS_URL}) hold one limit together. */
class SharedRedisProcessesTest {

    private static final String REDIS_URL = RequiredServices.REDIS_URL;

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    private static String outputs(List<ServeProcess> processes) {
        StringBuilder all = new StringBuilder();
        for (ServeProcess process : processes) {
            all.append("\n--- gatehouse serve (pid ")
                    .append(process.pid())
                    .append("):\n")
                    .append(process.output());
        }
        return all.toString();
    }

    @Test
    void twoServerProcesses_sharingRedis_holdOneGlobalLimit() throws Exception {
        List<ServeProcess> processes = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                processes.add(ServeProcess.start(
                        Map.of(),
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
                        "2",
                        // Redis counted down (after 500 ms by default) degrades to each node's share, which
                        // overshoots an exact global count: once 149 of 100 passed, with the machine
                        // flooded beside the build; the processes' output now comes with a failure
                        "--store-command-timeout-millis",
                        "5000"));
            }
            List<Integer> ports = new ArrayList<>();
            for (ServeProcess process : processes) {
                ports.add(process.port("rate API"));
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

            assertThat(allowed).as(() -> outputs(processes)).isEqualTo(100);
            assertThat(denied).isEqualTo(500);
        } finally {
            processes.forEach(ServeProcess::close);
        }
    }
}
