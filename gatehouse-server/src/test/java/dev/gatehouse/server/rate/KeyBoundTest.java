package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rate.max-keys bounds memory even when every key is busy: a new key is refused, and that is counted. */
class KeyBoundTest {

    @TempDir
    Path dir;

    @Test
    void newKey_pastTheBoundWithEveryKeyBusy_is429WithAReasonAndCounted() throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, """
                {"keys": [{"key_pattern": "^c-", "key_pattern_is_regex": true, "algorithm": "concurrency",
                           "max_requests_per_window": 1}]}""");
        try (TestServer server =
                TestServer.start(Map.of(RateSettings.CONFIG_FILE, file.toString(), RateSettings.MAX_KEYS, "100"))) {
            for (int i = 0; i < 100; i++) { // never released: every key stays busy
                assertThat(server.get("/rate/c-" + i).statusCode()).isEqualTo(200);
            }

            HttpResponse<String> refused = server.get("/rate/c-new", "Accept", "application/json");

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.body()).contains("rate.max-keys");
            assertThat(server.get("/debug/c-new").statusCode()).isEqualTo(404);
            Await.until(
                    java.time.Duration.ofSeconds(10),
                    () -> server.send(TestServer.request("GET", server.admin("/metrics")))
                            .body()
                            .contains("gatehouse_rate_refused_keys_total 1.0"));
        }
    }
}
