package dev.gatehouse.server.room;

import static dev.gatehouse.server.room.RoomApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.testing.TcpRelay;
import dev.gatehouse.testing.http.CapturedLog;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The room's queue and config routes answer 503 with advice, and nothing of the failure, when its
 * Redis stops answering; the log says so in one line, not one per request.
 */
class RoomStoreDownTest {

    private final String key = "down-room-" + UUID.randomUUID();
    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private TcpRelay relay;
    private TestServer server;

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    @BeforeEach
    void start() {
        relay = TcpRelay.to(RequiredServices.REDIS_URL);
        Map<Setting<?>, String> settings = new HashMap<>();
        settings.put(StoreSettings.TYPE, "redis");
        settings.put(StoreSettings.REDIS_URL, "redis://127.0.0.1:" + relay.port());
        settings.put(RoomSettings.STORE_KEY_PREFIX, "gatehouse-test:" + UUID.randomUUID() + ":");
        settings.put(RoomSettings.BUSINESS_IDS, key);
        settings.put(RoomSettings.JWT_SECRET, RoomApiTest.SECRET);
        server = TestServer.start(settings, clock);
    }

    @AfterEach
    void stop() {
        server.close();
        relay.close();
    }

    private HttpResponse<String> call(String method, String path, String... headers) {
        return server.send(method, path, headers);
    }

    @Test
    void theQueueAndConfigRoutes_answer503WithRetryAfter_whenRedisIsDown() {
        String jwt = json(call("POST", "/queue/enqueue", "business_id", key, "user_id", "a"))
                .get("jwt")
                .asText();
        relay.cut();
        clock.advance(Duration.ofSeconds(5)); // past every cached read of the config

        List<HttpResponse<String>> answers;
        try (CapturedLog log = CapturedLog.start()) {
            answers = List.of(
                    call("POST", "/queue/enqueue", "business_id", key, "user_id", "b"),
                    call("GET", "/queue/status", "business_id", key, "jwt", jwt),
                    call("GET", "/queue/verify", "business_id", key, "jwt", jwt),
                    call("DELETE", "/queue/finish", "business_id", key, "jwt", jwt),
                    call("GET", "/config", "business_id", key),
                    server.send(HttpRequest.newBuilder(server.rate("/config"))
                            .header("business_id", key)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 5}"))
                            .build()));
            // an outage fails every request: it is said at most every few seconds, not once per request
            assertThat(log.messages().stream().filter(line -> line.contains("queue store did not answer")))
                    .hasSize(1);
            log.assertNoErrorOrStackTrace();
        }

        for (HttpResponse<String> answer : answers) {
            String route = answer.request().method() + " " + answer.uri().getPath();
            assertThat(answer.statusCode()).as(route).isEqualTo(503);
            assertThat(answer.headers().firstValue("Retry-After")).as(route).hasValue("1");
            assertThat(json(answer).get("detail").asText())
                    .as(route)
                    .isEqualTo("The waiting room's store is unavailable; retry shortly");
        }
        assertThat(call("GET", "/health").statusCode()).isEqualTo(200); // the server's own: it still answers
    }
}
