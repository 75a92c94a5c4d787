package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key config file is reloaded on in-place saves and atomic renames; a broken one is ignored. */
class HotReloadTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void keyConfig_isReloadedOnSaveAndRename_andABrokenFileKeepsTheOldRules() throws IOException {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, rules(1));
        try (TestServer server = TestServer.start(Map.of(
                RateSettings.CONFIG_FILE, file.toString(),
                RateSettings.RELOAD_INTERVAL_MILLIS, "20",
                RateSettings.WINDOW_MILLIS, "60000"))) {
            assertThat(server.get("/rate/hot-1").statusCode()).isEqualTo(200);
            assertThat(server.get("/rate/hot-1").statusCode()).isEqualTo(429);

            saveInPlace(file, rules(3));
            Await.until(Duration.ofSeconds(5), () -> maxRequests(server, "hot-1") == 3);

            Path next = dir.resolve("keys.json.tmp");
            Files.writeString(next, rules(5));
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Await.until(Duration.ofSeconds(5), () -> maxRequests(server, "hot-1") == 5);

            saveInPlace(file, "{\"keys\": [");
            Await.until(
                    Duration.ofSeconds(5),
                    () -> metrics(server).contains("gatehouse_rate_config_reloads_total{outcome=\"refused\"} 1.0"));
            assertThat(maxRequests(server, "hot-1")).isEqualTo(5); // the broken file was seen, and refused

            saveInPlace(file, rules(7));
            Await.until(Duration.ofSeconds(5), () -> maxRequests(server, "hot-1") == 7);
        }
    }

    private static String rules(int max) {
        return """
                {"keys": [{"key_pattern": "^hot-", "key_pattern_is_regex": true, "max_requests_per_window": %d}]}""".formatted(max);
    }

    /** Writes in place, and moves the time on so that coarse file-system clocks see a change too. */
    private static void saveInPlace(Path file, String text) throws IOException {
        Instant before = Files.getLastModifiedTime(file).toInstant();
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(before.plusSeconds(1)));
    }

    private static String metrics(TestServer server) {
        return server.send(TestServer.request("GET", server.admin("/metrics"))).body();
    }

    private static int maxRequests(TestServer server, String key) {
        try {
            return JSON.readTree(server.get("/debug/" + key).body())
                    .at("/Config/MaxRequestsPerWindow")
                    .asInt();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
