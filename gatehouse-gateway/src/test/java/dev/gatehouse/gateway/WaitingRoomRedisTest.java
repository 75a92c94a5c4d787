package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RequiredServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The waiting room across two gateway replicas on one Redis, no sticky sessions, on one virtual
 * clock: the line, the seats and the cookies are the same at either; a seat left at one frees it for
 * the next in line at the other.
 */
final class WaitingRoomRedisTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROOM = "/__gatehouse__/room/";

    private final ManualClock clock = new ManualClock();
    private TestUpstream upstream;
    private TestGateway first;
    private TestGateway second;

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    @BeforeEach
    void start() {
        upstream = TestUpstream.start();
        URI redis = URI.create(RequiredServices.REDIS_URL);
        String yaml = "upstream: " + upstream.url() + "\n"
                + """
                admission: {secret: 0123456789abcdef0123456789abcdef}
                identity: {from: header, name: X-Client}
                waiting_room: {paths: [/], capacity: 1, session: 5m}
                store:
                  backend: redis
                  key_prefix: "gateway-room-test-%s:"
                  redis: {addr: "%s:%d"}
                """.formatted(UUID.randomUUID(), redis.getHost(), redis.getPort() == -1 ? 6379 : redis.getPort());
        first = TestGateway.start(yaml, clock);
        second = TestGateway.start(yaml, clock);
    }

    @AfterEach
    void stop() {
        first.close();
        second.close();
        upstream.close();
    }

    @Test
    void aSeatTakenAtOneReplicaAdmitsAtTheOtherAndLeavingItLetsTheNextInAnywhere() {
        String a = enqueue(first, "a");
        String b = enqueue(second, "b");
        clock.advance(Duration.ofSeconds(1));
        TestGateway.awaitCondition(() -> status(second, "a", a).get("ready").asBoolean());
        assertThat(status(first, "b", b).get("position").asLong()).isEqualTo(1);

        String seat = seat(second, "a", status(second, "a", a).get("jwt_token").asText());
        assertThat(first.get("/page", "X-Client", "a", "Cookie", seat).body()).isEqualTo("upstream /page");
        assertThat(second.get("/page", "X-Client", "a", "Cookie", seat).body()).isEqualTo("upstream /page");

        assertThat(first.post(ROOM + "leave", "", "X-Client", "a", "Cookie", seat)
                        .statusCode())
                .isEqualTo(303);
        clock.advance(Duration.ofSeconds(1));
        TestGateway.awaitCondition(() -> status(first, "b", b).get("ready").asBoolean());
        String bSeat = seat(first, "b", status(first, "b", b).get("jwt_token").asText());
        assertThat(second.get("/page", "X-Client", "b", "Cookie", bSeat).body()).isEqualTo("upstream /page");

        clock.advance(Duration.ofSeconds(31)); // past a tenth of the session: the left seat is looked up
        assertThat(second.get("/page", "X-Client", "a", "Cookie", seat).body())
                .as("a copy of the left seat's cookie holds none")
                .contains("gatehouse-page");
    }

    private static String enqueue(TestGateway gateway, String user) {
        HttpResponse<String> enqueued =
                gateway.post(ROOM + "queue/enqueue", "", "X-Client", user, "user_id", "user-" + user);
        assertThat(enqueued.statusCode()).as(enqueued.body()).isEqualTo(200);
        return json(enqueued).get("jwt").asText();
    }

    private static JsonNode status(TestGateway gateway, String client, String token) {
        return json(gateway.get(ROOM + "queue/status", "X-Client", client, "jwt", token));
    }

    private static String seat(TestGateway gateway, String client, String pass) {
        HttpResponse<String> seated = gateway.get(
                ROOM + "seat?to=/page&token=" + URLEncoder.encode(pass, StandardCharsets.UTF_8), "X-Client", client);
        assertThat(seated.statusCode()).isEqualTo(303);
        String cookie = seated.headers().firstValue("Set-Cookie").orElseThrow();
        return cookie.substring(0, cookie.indexOf(';'));
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
