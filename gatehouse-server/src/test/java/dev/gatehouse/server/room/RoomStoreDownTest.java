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
import dev.gatehouse.waitingroom.Tenant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
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
 * The room's routes answer 503 with advice, and nothing of the failure, when its Redis stops
 * answering; the log says so in one line, not one per request.
 */
class RoomStoreDownTest {

    private final String key = "down-room-" + UUID.randomUUID();
    private final String keyPrefix = "gatehouse-test:" + UUID.randomUUID() + ":";
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
        settings.put(RoomSettings.STORE_KEY_PREFIX, keyPrefix);
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
                    .hasSize(1); // the server's clock does not move meanwhile
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

    /** The pages and the draw's files, which read the same store, answer 503 too: a page that retries, a JSON detail. */
    @Test
    void theWaitingPagesAndTheDrawFiles_answer503_whenRedisIsDown() {
        String room = Tenant.ofBusinessId(key).id();
        relay.cut();
        clock.advance(Duration.ofSeconds(5));

        HttpResponse<String> joined = server.send(HttpRequest.newBuilder(server.rate("/wait/" + room + "/nojs?user=b"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
        assertThat(joined.statusCode()).as(joined.body()).isEqualTo(503);
        assertThat(joined.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(joined.headers().firstValue("content-type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(joined.body()).doesNotContain("Exception");

        HttpResponse<String> commit = call("GET", "/draw/" + room + "/commit");
        assertThat(commit.statusCode()).as(commit.body()).isEqualTo(503);
        assertThat(commit.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(json(commit).get("detail").asText())
                .isEqualTo("The waiting room's store is unavailable; retry shortly");
    }

    /**
     * A store that answers with state the room cannot read is no outage: a retry would fail the same
     * way. It is answered 500, and logged at ERROR with its cause each time, not as "store down".
     */
    @Test
    void aStoredConfigNoLongerValid_answers500AndIsLogged_notA503() {
        String room = Tenant.ofBusinessId(key).id();
        assertThat(call("GET", "/config", "business_id", key).statusCode()).isEqualTo(200);
        RedisClient client = RedisClient.create(RequiredServices.REDIS_URL);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().hset(keyPrefix + "room:{" + room + "}:config", "admission_limit", "lots");
        } finally {
            client.shutdown();
        }
        clock.advance(Duration.ofSeconds(5)); // past the cached read of the config

        try (CapturedLog log = CapturedLog.start()) {
            HttpResponse<String> answer = call("GET", "/config", "business_id", key);

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(500);
            assertThat(json(answer).get("detail").asText()).isEqualTo("Internal Server Error");
            assertThat(answer.headers().firstValue("Retry-After")).isEmpty();
            assertThat(answer.body()).doesNotContain("lots");
            assertThat(log.errors())
                    .singleElement()
                    .asString()
                    .contains("GET /config: unexpected failure")
                    .contains("stored admission_limit \"lots\" is not a number");
            assertThat(log.messages()).noneMatch(line -> line.contains("queue store did not answer"));
        }
    }
}
