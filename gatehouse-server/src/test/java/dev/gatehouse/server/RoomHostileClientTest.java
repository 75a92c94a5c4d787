package dev.gatehouse.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.room.RoomSettings;
import dev.gatehouse.testing.http.CapturedLog;
import dev.gatehouse.testing.http.RawConnection;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile clients against the waiting room's routes: oversized, endless and malformed bodies,
 * malformed escapes and JSON, forged credentials in bulk, floods. Every case ends in a 4xx or a
 * closed connection, never a 5xx, and nothing is logged at ERROR or with a stack trace.
 */
final class RoomHostileClientTest {

    private static final String KEY = "hostile-tenant-key";
    /** A second tenant, for tests that enqueue: its per-IP limit is its own, untouched by the flood test. */
    private static final String OTHER_KEY = "hostile-other-tenant-key";

    private static TestServer server;
    private static CapturedLog log;

    @BeforeAll
    static void start() {
        log = CapturedLog.start();
        Map<Setting<?>, String> settings = new HashMap<>();
        settings.put(RoomSettings.BUSINESS_IDS, KEY + ":" + OTHER_KEY);
        settings.put(RoomSettings.JWT_SECRET, "hostile-test-secret-hostile-test-secret");
        settings.put(HttpLimits.HEADER_TIMEOUT_MILLIS, "200");
        settings.put(HttpLimits.BODY_TIMEOUT_MILLIS, "300");
        server = TestServer.start(settings);
    }

    @AfterAll
    static void stop() {
        try {
            assertThat(server.get("/health").statusCode()).isEqualTo(200);
            assertThat(server.send("GET", "/config", "business_id", KEY).statusCode())
                    .isEqualTo(200);
        } finally {
            server.close();
            log.close();
        }
    }

    @AfterEach
    void noErrorLogged() {
        log.assertNoErrorOrStackTrace();
    }

    private static String postConfig(byte[] body) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send(("POST /config HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            connection.send(body);
            return connection.readAnswers(1);
        }
    }

    @Test
    void configBodyOverTheBound_isAnswered413InTheRoomsStyleAndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /config HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                    + "\r\nContent-Length: 70000\r\n\r\n" + "{".repeat(1000));
            String answers = connection.readUntilClosed();
            assertThat(RawConnection.status(answers)).isEqualTo(413);
            assertThat(answers).contains("{\"detail\":\"request body too large");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void chunkedConfigBodyOverTheBound_isAnswered413AtOnceAndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            String chunk = "a".repeat(8192);
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < 9; i++) { // 72 KiB > http.max-body-bytes (64 KiB)
                body.append("2000\r\n").append(chunk).append("\r\n");
            }
            connection.send("POST /config HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n");
            String answers = connection.readUntilClosed();
            // answered when the bound is passed, not left waiting for a body that will not come
            assertThat(RawConnection.status(answers)).isEqualTo(413);
            assertThat(answers).contains("http.max-body-bytes");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void configBodyWithABadChunk_isAnswered400AndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /config HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                    + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
                    + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            String answers = connection.readUntilClosed();
            assertThat(RawConnection.status(answers)).isEqualTo(400);
            assertThat(RawConnection.Answers.count(answers)).isEqualTo(1); // nothing after it is read
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void configBodyNeverFinished_isClosedAfterTheBodyTimeout() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /config HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                    + "\r\nContent-Length: 100\r\n\r\n{\"admission_limit\"");
            String answers = connection.readUntilClosed();
            assertThat(answers).doesNotContain("HTTP/1.1 5");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"admission_limit\": 1e999}",
                "{\"admission_limit\": 99999999999999999999999}",
                "{\"admission_limit\": NaN}",
                "{\"admission_limit\": -0.0}",
                "{\"admission_limit\": \"\\u0000\"}",
                "{\"admission_limit\": 1, \"admission_limit\": 2}",
                "{\"admission_limit\": 1} trailing",
                "{\"admission_limit\": {\"nested\": [1, 2, 3]}}",
                "\"just a string\"",
                "null",
                "{\"\\ud800\": 1}",
            })
    void oddConfigBodies_areAnswered200Or422(String body) {
        String answers = postConfig(body.getBytes(StandardCharsets.UTF_8));
        assertThat(RawConnection.status(answers)).as(answers).isIn(200, 422);
    }

    @Test
    void deeplyNestedJson_isAnswered422() {
        String body = "[".repeat(100_00) + "]".repeat(100_00);
        assertThat(RawConnection.status(postConfig(body.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(422);
    }

    @Test
    void invalidUtf8InTheBody_isAnswered422() {
        byte[] body = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertThat(RawConnection.status(postConfig(body))).isEqualTo(422);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/queue/%zz", "/queue/enqueue%", "/queue/%2e%2e/rate/x", "/config/%00", "/%72ate/x"})
    void malformedOrSneakyPaths_areAnswered4xx(String path) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST " + path + " HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                    + "\r\nuser_id: u\r\nContent-Length: 0\r\n\r\n");
            int status = RawConnection.status(connection.readAnswers(1));
            assertThat(status).as(path).isBetween(400, 499);
        }
    }

    @Test
    void moreHeadersThanTheCount_areAnswered431InTheRoomsStyle() {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            headers.append("X-H").append(i).append(": v\r\n");
        }
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /queue/enqueue HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY + "\r\nuser_id: u\r\n"
                    + headers + "\r\n");
            String answers = connection.readUntilClosed();
            assertThat(RawConnection.status(answers)).isEqualTo(431);
            assertThat(answers).contains("{\"detail\":\"too many request headers: 103");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void aHeaderBlockOver16KiB_isAnswered431AndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /queue/enqueue HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY + "\r\nuser_id: "
                    + "u".repeat(17_000) + "\r\n\r\n");
            String answers = connection.readUntilClosed();
            assertThat(RawConnection.status(answers)).isEqualTo(431);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void controlCharactersInAUserId_areRefused400() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /queue/enqueue HTTP/1.1\r\nHost: x\r\nbusiness_id: " + KEY
                    + "\r\nuser_id: a\u0001b\r\nContent-Length: 0\r\n\r\n");
            assertThat(RawConnection.status(connection.readUntilClosed())).isEqualTo(400);
        }
    }

    @Test
    void aFloodOfForgedTokensAndKeys_isAnswered401Quietly() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            byte[] noise = new byte[random.nextInt(1, 200)];
            random.nextBytes(noise);
            String token = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(noise)
                    + (i % 3 == 0 ? ".x.y" : "");
            HttpResponse<String> byToken = server.send("GET", "/queue/verify", "business_id", KEY, "jwt", token);
            assertThat(byToken.statusCode()).isEqualTo(401);
            HttpResponse<String> byKey = server.send("GET", "/config", "business_id", token);
            assertThat(byKey.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void anEnqueueFloodFromOneAddress_isCutByThePerIpLimit() {
        int refused = 0;
        for (int i = 0; i < 150; i++) { // the default limit: 100 per minute
            int status = server.send("POST", "/queue/enqueue", "business_id", KEY, "user_id", "flood-" + i)
                    .statusCode();
            assertThat(status).isIn(200, 429);
            refused += status == 429 ? 1 : 0;
        }
        assertThat(refused).isEqualTo(50);
    }

    /** Header bytes are read one to a character, as Starlette reads them: user_id's bound is in bytes. */
    @Test
    void aUserIdSentAsUtf8_isReadByteForByte_andBoundedAt256Bytes() {
        assertThat(RawConnection.status(enqueueRaw("é".repeat(128)))).isEqualTo(200); // 256 bytes
        String tooLong = enqueueRaw("é".repeat(129)); // 258 bytes
        assertThat(RawConnection.status(tooLong)).isEqualTo(422);
        assertThat(tooLong).contains("string_too_long");

        String answer = enqueueRaw("café");
        String jwt = answer.substring(answer.indexOf("\"jwt\":\"") + 7, answer.indexOf("\",\"position\""));
        String claims =
                new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
        assertThat(claims).contains("\"sub\":\"caf\u00c3\u00a9\""); // the two UTF-8 bytes of é, each a character
    }

    private String enqueueRaw(String user) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(
                    ("POST /queue/enqueue HTTP/1.1\r\nHost: x\r\nbusiness_id: " + OTHER_KEY + "\r\nuser_id: ")
                            .getBytes(StandardCharsets.US_ASCII));
            request.writeBytes(user.getBytes(StandardCharsets.UTF_8));
            request.writeBytes(
                    "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            connection.send(request.toByteArray());
            return connection.readUntilClosed();
        }
    }
}
