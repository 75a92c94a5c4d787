package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.server.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A refused call is told one retry time, whichever way it asks. */
class RetryAdviceTest {

    @TempDir
    Path dir;

    @Test
    void concurrencyRefusal_jsonRetryAfterMillisMatchesTheRetryAfterHeader() throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, """
                {"keys": [{"key_pattern": "busy", "algorithm": "concurrency", "max_requests_per_window": 1,
                           "window_millis": 5000}]}""");
        try (TestServer server = TestServer.start(Map.of(RateSettings.CONFIG_FILE, file.toString()))) {
            assertThat(server.get("/rate/busy").statusCode()).isEqualTo(200);

            HttpResponse<String> plain = server.get("/rate/busy");
            HttpResponse<String> json = server.get("/rate/busy", "Accept", "application/json");

            assertThat(plain.statusCode()).isEqualTo(429);
            assertThat(plain.headers().firstValue("retry-after")).hasValue("5");
            assertThat(json.headers().firstValue("retry-after")).hasValue("5");
            assertThat(new ObjectMapper()
                            .readTree(json.body())
                            .get("retryAfterMillis")
                            .asLong())
                    .isEqualTo(5000);
        }
    }
}
