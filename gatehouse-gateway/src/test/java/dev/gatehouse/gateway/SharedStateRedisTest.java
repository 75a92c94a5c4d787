package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.RequiredServices;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateway replicas sharing one Redis, no sticky sessions: a challenge issued by one is solved at
 * the other, once; a token minted by one is spent at the other, once; a ticket queued through one
 * has its place through the other (Wicket's queue is process-local).
 */
final class SharedStateRedisTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                queue: {type: fifo}
                admission: {required: true, secret: 0123456789abcdef0123456789abcdef}
                store:
                  backend: redis
                  key_prefix: "gateway-test-%s:"
                  redis: {addr: "%s:%d"}
                """.formatted(UUID.randomUUID(), redis.getHost(), redis.getPort() == -1 ? 6379 : redis.getPort());
        first = TestGateway.start(yaml);
        second = TestGateway.start(yaml);
    }

    @AfterEach
    void stop() {
        first.close();
        second.close();
        upstream.close();
    }

    @Test
    void aChallengeFromOneReplicaIsSolvedAtTheOtherOnce() throws Exception {
        JsonNode challenge =
                JSON.readTree(first.post("/__gatehouse__/challenge", "").body());
        String nonce = GatewayTest.solve(
                challenge.get("payload").asText(), challenge.get("difficulty").asInt());
        String solution = "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}";

        HttpResponse<String> solved = second.post("/__gatehouse__/solve", solution);
        HttpResponse<String> replayed = first.post("/__gatehouse__/solve", solution);

        assertThat(solved.statusCode()).isEqualTo(200);
        assertThat(replayed.statusCode()).as("consumed in the shared store").isEqualTo(401);
        String token = JSON.readTree(solved.body()).get("token").asText();
        assertThat(first.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", token)
                        .statusCode())
                .isEqualTo(200);
        assertThat(second.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", token)
                        .body())
                .isEqualTo("{\"error\":\"admission token already used\"}\n");
    }

    @Test
    void aTicketQueuedThroughOneReplicaHasItsPlaceThroughTheOther() throws Exception {
        String[] tickets = new String[3];
        for (int i = 0; i < tickets.length; i++) {
            TestGateway through = i % 2 == 0 ? first : second;
            HttpResponse<String> enqueued =
                    through.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", token(through));
            tickets[i] = JSON.readTree(enqueued.body()).get("ticket_id").asText();
        }

        for (int i = 0; i < tickets.length; i++) {
            TestGateway other = i % 2 == 0 ? second : first;
            JsonNode status = JSON.readTree(
                    other.get("/__gatehouse__/status?ticket=" + tickets[i]).body());
            assertThat(status.get("position").asLong()).isEqualTo(i + 1);
            assertThat(status.get("ahead").asLong()).isEqualTo(i);
        }
    }

    private static String token(TestGateway gateway) throws Exception {
        JsonNode challenge =
                JSON.readTree(gateway.post("/__gatehouse__/challenge", "").body());
        String nonce = GatewayTest.solve(
                challenge.get("payload").asText(), challenge.get("difficulty").asInt());
        return JSON.readTree(gateway.post(
                                "/__gatehouse__/solve",
                                "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}")
                        .body())
                .get("token")
                .asText();
    }
}
