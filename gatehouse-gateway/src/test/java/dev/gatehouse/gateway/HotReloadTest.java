package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.CapturedLog;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Edit, save, atomic rename: the live sections apply without a restart, a stage whose section did
 * not change keeps its state, anything else is named for a restart, and a broken file changes nothing.
 */
final class HotReloadTest {

    /** One token per thousand seconds: on the frozen clock a bucket never refills by itself. */
    private static final String SLOW_BUCKET = "rate_limit: {rps: 0.001, burst: 2}\n";

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private TestUpstream upstream;
    private Path file;

    @BeforeEach
    void start() {
        upstream = TestUpstream.start();
        file = dir.resolve("gateway.yml");
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void anUnrelatedEditKeepsTheLimitersStateAndAChangedLimitStartsFresh() throws IOException {
        save(SLOW_BUCKET);
        try (TestGateway gateway = TestGateway.startWatching(file, clock)) {
            assertThat(statuses(gateway, 3)).containsExactly(200, 200, 429);

            save(SLOW_BUCKET + "circuit_breaker: {min_samples: 50}\n");
            reloadTime();
            assertThat(statuses(gateway, 1))
                    .as("the bucket is the same one, still empty")
                    .containsExactly(429);

            save("rate_limit: {rps: 0.001, burst: 3}\ncircuit_breaker: {min_samples: 50}\n");
            reloadTime();
            assertThat(statuses(gateway, 4)).as("a new bucket, full").containsExactly(200, 200, 200, 429);
        }
    }

    @Test
    void theBreakerKeepsItsStateAcrossAnEditElsewhere() throws IOException {
        upstream.answerWith(500);
        String breaker = "circuit_breaker: {min_samples: 2, cooldown: 1h}\n";
        save(breaker);
        try (TestGateway gateway = TestGateway.startWatching(file, clock)) {
            assertThat(statuses(gateway, 3)).containsExactly(500, 500, 503);

            save(breaker + "rate_limit: {rps: 1000}\n");
            reloadTime();

            assertThat(statuses(gateway, 1)).as("still open").containsExactly(503);
        }
    }

    @Test
    void aLimitAddedByAReloadAppliesAtOnce() throws IOException {
        save("");
        try (TestGateway gateway = TestGateway.startWatching(file, clock)) {
            assertThat(statuses(gateway, 3)).containsExactly(200, 200, 200);

            save(SLOW_BUCKET);
            reloadTime();

            assertThat(statuses(gateway, 3)).containsExactly(200, 200, 429);
        }
    }

    /**
     * A file that does not read, or whose value a section refuses, keeps the running config (its
     * limiter's state too) and the log says why, naming the file.
     */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "rate_limit: {rps: 0.001, burst: 2, bogus: 1}|rate_limit.bogus: unknown key",
                "rate_limit: {rps: 0.001, burst: 0.5}|rate_limit.burst: 0.5 admits no request"
            })
    void aBrokenFileKeepsTheRunningConfigAndSaysWhy(String broken, String why) throws IOException {
        save(SLOW_BUCKET);
        try (CapturedLog log = CapturedLog.start();
                TestGateway gateway = TestGateway.startWatching(file, clock)) {
            save(broken + "\n");
            reloadTime();

            assertThat(statuses(gateway, 3)).containsExactly(200, 200, 429);
            assertThat(log.messages())
                    .anyMatch(m -> m.startsWith("reload skipped, keeping the running config: " + file + ": ")
                            && m.contains(why));
            log.assertNoErrorOrStackTrace();
        }
    }

    @Test
    void aChangeThatNeedsARestartIsNamedAndNotApplied() throws IOException {
        save(SLOW_BUCKET);
        try (CapturedLog log = CapturedLog.start();
                TestGateway gateway = TestGateway.startWatching(file, clock)) {
            save(SLOW_BUCKET + "pow: {enabled: true}\nqueue: {type: fifo}\n");
            reloadTime();

            assertThat(log.messages()).contains("restart required for: pow,queue");
            assertThat(gateway.post("/__gatehouse__/challenge", "").statusCode())
                    .as("pow stays off until a restart")
                    .isEqualTo(404);
        }
    }

    @Test
    void requestsFlowWithoutAFailureWhileTheFileChangesUnderThem() throws Exception {
        save("rate_limit: {rps: 1000000, burst: 1000000}\n");
        try (TestGateway gateway = TestGateway.startWatching(file, clock)) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            List<Future<List<Integer>>> sent = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                sent.add(clients.submit(() -> statuses(gateway, 100)));
            }
            for (int i = 0; i < 20; i++) { // each save a new limiter and a new breaker
                save("rate_limit: {rps: 1000000, burst: " + (1_000_000 + i) + "}\ncircuit_breaker: {min_samples: "
                        + (100 + i) + "}\n");
                reloadTime();
            }
            clients.shutdown();

            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : sent) {
                all.addAll(f.get());
            }
            assertThat(all).hasSize(400).containsOnly(200);
        }
    }

    /** Writes the file as editors and ConfigMaps do: a new file renamed over the old one. */
    private void save(String yaml) throws IOException {
        Path next = dir.resolve("gateway.yml.tmp");
        Files.writeString(next, TestGateway.onFreePorts("upstream: " + upstream.url() + "\n" + yaml));
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Long enough for the reloader's next check (and, on the frozen clock, nothing else). */
    private void reloadTime() {
        clock.advance(Duration.ofNanos(ConfigReloader.INTERVAL_NANOS));
    }

    private static List<Integer> statuses(TestGateway gateway, int count) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> response = gateway.get("/");
            statuses.add(response.statusCode());
        }
        return statuses;
    }
}
