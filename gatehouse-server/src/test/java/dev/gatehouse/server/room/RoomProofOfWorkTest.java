package dev.gatehouse.server.room;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowAlgorithm;
import dev.gatehouse.proof.pow.PowSolver;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.CapturedLog;
import dev.gatehouse.waitingroom.Tenant;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A room that asks for a proof of work ({@code pow_difficulty}) before it queues anyone: a
 * challenge of the room's own, a solution spent once, every refusal a 428 with a fresh challenge and
 * the reason; a room that asks none answers as GatekeeperAPI does.
 */
class RoomProofOfWorkTest {

    private static final String KEY = RoomApiTest.KEY;
    private static final String ROOM = Tenant.ofBusinessId(KEY).id();

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private TestServer server;
    private CapturedLog log;

    @BeforeEach
    void start() {
        log = CapturedLog.start();
        server = TestServer.start(
                Map.<Setting<?>, String>of(
                        RoomSettings.BUSINESS_IDS,
                        KEY + ":" + RoomApiTest.OTHER_KEY,
                        RoomSettings.JWT_SECRET,
                        RoomApiTest.SECRET),
                clock);
        clock.advanceNanos(0);
    }

    @AfterEach
    void stop() {
        server.close();
        log.assertNoErrorOrStackTrace();
        log.close();
    }

    @Test
    void aRoomWithoutADifficultyQueuesAsGatekeeperApiDoes() {
        assertThat(send("POST", "/queue/challenge", "business_id", KEY).statusCode())
                .isEqualTo(404);
        assertThat(enqueue("u1").statusCode()).isEqualTo(200);
    }

    @Test
    void aSolvedChallengeQueuesOnceAndEveryOtherAnswerIsA428WithAFreshChallenge() {
        configure(KEY, 8);
        HttpResponse<String> bare = enqueue("u1");
        assertThat(bare.statusCode()).isEqualTo(428);
        JsonNode challenge = RoomApiTest.json(bare).get("challenge");
        assertThat(challenge.get("difficulty").asInt()).isEqualTo(8);
        assertThat(challenge.get("algorithm").asText()).isEqualTo("sha256");
        assertThat(RoomApiTest.json(bare).get("detail").asText()).contains("X-Gatehouse-Pow-Id");

        JsonNode asked = RoomApiTest.json(send("POST", "/queue/challenge", "X-Gatehouse-Room", ROOM));
        String nonce = solve(asked);
        HttpResponse<String> queued = enqueue("u1", asked.get("id").asText(), nonce);
        assertThat(queued.statusCode()).as(queued.body()).isEqualTo(200);
        assertThat(RoomApiTest.json(queued).get("jwt").asText()).isNotEmpty();

        assertRefused(enqueue("u2", asked.get("id").asText(), nonce), "replayed");
        assertRefused(enqueue("u2", challenge.get("id").asText(), "00"), "insufficient_work");
        assertRefused(enqueue("u2", "not-a-challenge", nonce), "malformed_id");
        assertRefused(enqueue("u2", challenge.get("id").asText(), "zz"), "bad_nonce");
        assertRefused(enqueue("u2", challenge.get("id").asText(), "ab".repeat(5_000)), "bad_nonce");

        configure(RoomApiTest.OTHER_KEY, 8);
        JsonNode foreign = RoomApiTest.json(send("POST", "/queue/challenge", "business_id", RoomApiTest.OTHER_KEY));
        assertRefused(enqueue("u2", foreign.get("id").asText(), solve(foreign)), "bad_signature");

        clock.advance(Duration.ofMinutes(6));
        JsonNode old = challenge;
        assertRefused(enqueue("u3", old.get("id").asText(), solve(old)), "expired");
    }

    @Test
    void aDifficultyOutOfRangeIsA422AndThePageWithoutJavaScriptCannotJoinARoomThatAsksWork() {
        HttpResponse<String> tooHard = withBody(
                "POST", "/config", "{\"pow_difficulty\": 33}", "business_id", KEY, "Content-Type", "application/json");
        assertThat(tooHard.statusCode()).isEqualTo(422);
        assertThat(tooHard.body()).contains("pow_difficulty");

        configure(KEY, 4);
        HttpResponse<String> join = send("POST", "/wait/" + ROOM + "/nojs");
        assertThat(join.statusCode()).isEqualTo(403);
        assertThat(join.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(join.body()).contains("needs JavaScript");
    }

    private void assertRefused(HttpResponse<String> response, String why) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(428);
        JsonNode body = RoomApiTest.json(response);
        assertThat(body.get("detail").asText()).contains("(" + why + ")");
        assertThat(body.get("challenge").get("id").asText()).isNotEmpty();
    }

    private void configure(String key, int difficulty) {
        HttpResponse<String> configured = withBody(
                "POST",
                "/config",
                "{\"pow_difficulty\": " + difficulty + "}",
                "business_id",
                key,
                "Content-Type",
                "application/json");
        assertThat(configured.statusCode()).as(configured.body()).isEqualTo(200);
        assertThat(RoomApiTest.json(configured)
                        .get("updated_config")
                        .get("pow_difficulty")
                        .asInt())
                .isEqualTo(difficulty);
        clock.advance(Duration.ofSeconds(2)); // past the config cache
    }

    private HttpResponse<String> enqueue(String user, String... solution) {
        return solution.length == 0
                ? send("POST", "/queue/enqueue", "business_id", KEY, "user_id", user)
                : send(
                        "POST",
                        "/queue/enqueue",
                        "business_id",
                        KEY,
                        "user_id",
                        user,
                        "X-Gatehouse-Pow-Id",
                        solution[0],
                        "X-Gatehouse-Pow-Nonce",
                        solution[1]);
    }

    private HttpResponse<String> send(String method, String path, String... headers) {
        return withBody(method, path, "", headers);
    }

    private HttpResponse<String> withBody(String method, String path, String body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(server.rate(path))
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return server.send(builder.build());
    }

    private static String solve(JsonNode challenge) {
        Challenge parsed = new Challenge(
                challenge.get("id").asText(),
                HexFormat.of().parseHex(challenge.get("payload").asText()),
                challenge.get("difficulty").asInt(),
                challenge.get("expires_at").asLong() * 1000,
                new PowAlgorithm.Sha256());
        return HexFormat.of().formatHex(PowSolver.solve(parsed, 1L << 20).orElseThrow());
    }
}
