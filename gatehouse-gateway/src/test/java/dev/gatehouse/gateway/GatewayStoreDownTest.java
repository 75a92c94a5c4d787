package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.testing.TcpRelay;
import dev.gatehouse.testing.http.CapturedLog;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose Redis stops answering: a solution (which needs the shared record of spent ones) and
 * the queue's routes are answered 503 with advice, never 500, and nothing is logged at ERROR or with a
 * stack trace.
 */
final class GatewayStoreDownTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TcpRelay relay;
    private TestUpstream upstream;
    private TestGateway gateway;

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    @BeforeEach
    void start() {
        relay = TcpRelay.to(RequiredServices.REDIS_URL);
        upstream = TestUpstream.start();
        gateway = TestGateway.start(
                "upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                queue: {type: fifo}
                store:
                  backend: redis
                  key_prefix: "gateway-down-%s:"
                  redis: {addr: "127.0.0.1:%d"}
                """.formatted(UUID.randomUUID(), relay.port()));
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
        relay.close();
    }

    private String solution() throws Exception {
        JsonNode challenge =
                JSON.readTree(gateway.post("/__gatehouse__/challenge", "").body());
        String nonce = GatewayTest.solve(
                challenge.get("payload").asText(), challenge.get("difficulty").asInt());
        return "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}";
    }

    @Test
    void solutionsAndTheQueue_answer503_whenRedisIsDown() throws Exception {
        String ticket = JSON.readTree(gateway.post("/__gatehouse__/enqueue", "").body())
                .get("ticket_id")
                .asText();
        String unsolved = solution();
        relay.cut();

        try (CapturedLog log = CapturedLog.start()) {
            for (int i = 0; i < 5; i++) {
                for (HttpResponse<String> answer : List.of(
                        gateway.post("/__gatehouse__/solve", unsolved),
                        gateway.post("/__gatehouse__/enqueue", ""),
                        gateway.get("/__gatehouse__/status?ticket=" + ticket))) {
                    String route =
                            answer.request().method() + " " + answer.uri().getPath();
                    assertThat(answer.statusCode())
                            .as(route + ": " + answer.body())
                            .isEqualTo(503);
                    assertThat(answer.headers().firstValue("Retry-After"))
                            .as(route)
                            .isPresent();
                }
            }
            log.assertNoErrorOrStackTrace();
        }
    }
}
