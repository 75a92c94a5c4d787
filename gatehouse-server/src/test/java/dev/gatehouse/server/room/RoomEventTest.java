package dev.gatehouse.server.room;

import static dev.gatehouse.server.room.RoomApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.RawConnection;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A room's event over the room's own wire, black-box on virtual time: users who enqueue during the
 * pre-queue are registered with a ticket, the draw runs at {@code opens_at}, and each position the
 * status shows is the one anyone recomputes from the draw's files, fetched from the server.
 */
class RoomEventTest {

    private static final long START_SECONDS = 1_800_000_000L;
    private static final String ROOM = Tenant.ofBusinessId(RoomApiTest.KEY).id();

    private final ManualClock clock = new ManualClock(START_SECONDS * 1_000_000_000L);
    private TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(
                Map.of(
                        RoomSettings.BUSINESS_IDS,
                        RoomApiTest.KEY + ":" + RoomApiTest.OTHER_KEY,
                        RoomSettings.JWT_SECRET,
                        RoomApiTest.SECRET,
                        RoomSettings.DRAW_VRF_KEY,
                        "11".repeat(32),
                        RoomSettings.DRAW_SIGNING_KEY,
                        "22".repeat(32)),
                clock);
        clock.advanceNanos(0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> postConfig(String body) {
        return server.send(HttpRequest.newBuilder(server.rate("/config"))
                .timeout(Duration.ofSeconds(10))
                .header("business_id", RoomApiTest.KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private JsonNode enqueue(String user) {
        HttpResponse<String> response =
                server.send("POST", "/queue/enqueue", "business_id", RoomApiTest.KEY, "user_id", user);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response);
    }

    private JsonNode status(String jwt) {
        HttpResponse<String> response = server.send("GET", "/queue/status", "business_id", RoomApiTest.KEY, "jwt", jwt);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response);
    }

    private byte[] download(String path) {
        HttpResponse<String> response = server.get(path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body().getBytes(StandardCharsets.UTF_8);
    }

    private void scheduleEvent() {
        HttpResponse<String> configured = postConfig("{\"admission_limit\": 0, \"prequeue_opens_at\": "
                + (START_SECONDS + 60) + ", \"opens_at\": " + (START_SECONDS + 120) + "}");
        assertThat(configured.statusCode()).as(configured.body()).isEqualTo(200);
        assertThat(json(configured).get("updated_config").get("opens_at").asLong())
                .isEqualTo(START_SECONDS + 120);
    }

    @Test
    void everyShownPositionIsTheOneTheDrawsFilesGive() throws Exception {
        scheduleEvent();
        JsonNode early = enqueue("early");
        HttpResponse<String> again =
                server.send("POST", "/queue/enqueue", "business_id", RoomApiTest.KEY, "user_id", "early");
        assertThat(json(again).has("ticket")).as("no ticket without the token").isFalse();
        assertThat(again.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(early.get("position").asLong()).isEqualTo(1);
        assertThat(early.get("ticket").asText()).matches("[0-9a-f]{32}");
        assertThat(early.has("opens_at")).isFalse();

        clock.advance(Duration.ofSeconds(60)); // the pre-queue opens
        Map<String, String> tokens = new HashMap<>();
        Map<String, String> tickets = new HashMap<>();
        for (int i = 0; i < 12; i++) {
            JsonNode registered = enqueue("user-" + i);
            assertThat(registered.get("position").isNull()).isTrue();
            assertThat(registered.get("prequeue").asBoolean()).isTrue();
            assertThat(registered.get("opens_at").asLong()).isEqualTo(START_SECONDS + 120);
            assertThat(registered.get("draw").asText()).isEqualTo("/draw/" + ROOM + "/");
            tokens.put("user-" + i, registered.get("jwt").asText());
            tickets.put("user-" + i, registered.get("ticket").asText());
        }
        JsonNode waiting = status(tokens.get("user-3"));
        assertThat(waiting.get("position").isNull()).isTrue();
        assertThat(waiting.get("prequeue").asBoolean()).isTrue();
        assertThat(waiting.get("ticket").asText()).isEqualTo(tickets.get("user-3"));
        assertThat(server.get("/draw/" + ROOM + "/record").statusCode()).isEqualTo(404);

        clock.advance(Duration.ofSeconds(60)); // the draw
        Await.until(
                Duration.ofSeconds(10),
                () -> !status(tokens.get("user-0")).get("position").isNull());

        byte[] recordFile = download("/draw/" + ROOM + "/record");
        DrawRecord record = DrawVerifier.checkRecord(recordFile, null, download("/draw/" + ROOM + "/commit"));
        assertThat(record.commit().room()).isEqualTo(ROOM);
        List<String> order = DrawVerifier.checkTickets(record, download("/draw/" + ROOM + "/tickets"));
        assertThat(order).containsExactlyInAnyOrderElementsOf(tickets.values());
        List<Long> shown = new ArrayList<>();
        for (Map.Entry<String, String> user : tokens.entrySet()) {
            JsonNode standing = status(user.getValue());
            String ticket = tickets.get(user.getKey());
            assertThat(standing.has("prequeue")).isFalse();
            assertThat(standing.get("position").asLong())
                    .as(user.getKey())
                    .isEqualTo(1 + order.indexOf(ticket) + 1); // "early" queued before the event stays first
            byte[] proof = download("/draw/" + ROOM + "/proof?ticket=" + ticket);
            DrawVerifier.checkInclusion(record, ticket, proof);
            shown.add(standing.get("position").asLong());
        }
        assertThat(shown).doesNotHaveDuplicates();
        assertThat(status(early.get("jwt").asText()).get("position").asLong()).isEqualTo(1);
        assertThat(enqueue("after").get("position").asLong()).isEqualTo(14);
    }

    @Test
    void eventTimesAreCheckedAndKeptOnceTheDrawHasRun() {
        for (String body : List.of(
                "{\"opens_at\": " + (START_SECONDS + 120) + "}",
                "{\"prequeue_opens_at\": " + (START_SECONDS + 60) + "}",
                "{\"prequeue_opens_at\": " + (START_SECONDS + 120) + ", \"opens_at\": " + (START_SECONDS + 60) + "}",
                "{\"prequeue_opens_at\": " + (START_SECONDS - 120) + ", \"opens_at\": " + (START_SECONDS - 60) + "}")) {
            HttpResponse<String> refused = postConfig(body);
            assertThat(refused.statusCode()).as(body).isEqualTo(422);
            JsonNode error = json(refused).get("detail").get(0);
            assertThat(error.get("type").asText()).isEqualTo("value_error");
            assertThat(error.get("loc").toString()).isEqualTo("[\"body\"]");
            assertThat(error.get("msg").asText()).startsWith("Value error, ");
        }
        HttpResponse<String> tooLate = postConfig("{\"prequeue_opens_at\": 1, \"opens_at\": 253402300800}");
        assertThat(tooLate.statusCode()).isEqualTo(422);
        assertThat(json(tooLate).get("detail").get(0).get("loc").toString()).isEqualTo("[\"body\",\"opens_at\"]");

        scheduleEvent();
        clock.advance(Duration.ofSeconds(60));
        HttpResponse<String> cleared = postConfig("{\"prequeue_opens_at\": 0, \"opens_at\": 0}");
        assertThat(cleared.statusCode()).isEqualTo(422);
        assertThat(cleared.body()).contains("the event's pre-queue is open");
        HttpResponse<String> moved = postConfig("{\"opens_at\": " + (START_SECONDS + 180) + "}");
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        enqueue("registered");
        clock.advance(Duration.ofSeconds(120));
        Await.until(
                Duration.ofSeconds(10),
                () -> server.get("/draw/" + ROOM + "/record").statusCode() == 200);

        HttpResponse<String> again = postConfig("{\"prequeue_opens_at\": " + (START_SECONDS + 1_000)
                + ", \"opens_at\": " + (START_SECONDS + 2_000) + "}");
        assertThat(again.statusCode()).isEqualTo(422);
        assertThat(again.body()).contains("a room holds one event");
    }

    @Test
    void drawFilesAreRefusedInTheRoomsWords() {
        assertThat(server.get("/draw/" + ROOM + "/record").body()).isEqualTo("{\"detail\":\"no draw yet\"}");
        HttpResponse<String> unknown = server.get("/draw/key-0000000000000000/record");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).isEqualTo("{\"detail\":\"Not Found\"}");
        assertThat(server.get("/draw/" + ROOM + "/other").statusCode()).isEqualTo(404);
        HttpResponse<String> posted = server.send("POST", "/draw/" + ROOM + "/record");
        assertThat(posted.statusCode()).isEqualTo(405);
        assertThat(posted.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(server.get("/draw/" + ROOM + "/proof").body()).isEqualTo("{\"detail\":\"ticket required\"}");
        assertThat(server.get("/draw/" + ROOM + "/proof?ticket=zz").statusCode())
                .isEqualTo(400);
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /draw/" + ROOM + "/proof?ticket=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
            String answer = connection.readAnswers(1);
            assertThat(RawConnection.status(answer)).isEqualTo(400);
            assertThat(answer).contains("{\"detail\":"); // the router's answer to an undecodable path (docs/server.md)
        }
        assertThat(server.get("/draw/" + ROOM + "/proof?ticket=" + "0".repeat(32))
                        .statusCode())
                .isEqualTo(404);
    }
}
