package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.RequiredServices;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rate service with {@code store.type=redis}, against the real Redis ({@code GATEHOUSE_REDIS_URL}). */
class RedisStoreTest {

    private static final String REDIS_URL = RequiredServices.REDIS_URL;

    @TempDir
    Path dir;

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    @Test
    void debug_listsKeysThisNodeServed_withTheirStateFromRedis() {
        try (TestServer server = TestServer.start(redisStore(Map.of(RateSettings.MAX_REQUESTS, "2")))) {
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
        try (TestServer server = TestServer.start(redisStore(Map.of(RateSettings.CONFIG_FILE, keys.toString())))) {
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

            assertThat(metrics.body())
                    .contains(
                            "gatehouse_store_healthy{store=\"redis\"} 1.0",
                            "gatehouse_store_outages_total{store=\"redis\"} 0.0");
        }
    }

    private Map<Setting<?>, String> redisStore(Map<Setting<?>, String> more) {
        Map<Setting<?>, String> settings = new java.util.HashMap<>();
        settings.put(StoreSettings.TYPE, "redis");
        settings.put(StoreSettings.REDIS_URL, REDIS_URL);
        settings.put(RateSettings.STORE_KEY_PREFIX, prefix);
        settings.putAll(more);
        return settings;
    }
}
