package dev.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.gatehouse.client.GatehouseClientException.Kind;
import dev.gatehouse.client.RoomClient.Finish;
import dev.gatehouse.client.RoomClient.Verification;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RoomClient} against a fake room: the wire, the answers, and every way an answer can be wrong. */
@Timeout(20)
class RoomClientTest {

    private static final String KEY = "business-key-one";
    private static final String JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";

    private final FakeServer room = new FakeServer();
    /** Released when the test ends: a slow answer waits on it, never on a clock. */
    private final CountDownLatch end = new CountDownLatch(1);

    private RoomClient client = client(Duration.ofSeconds(5), 64 * 1024);

    private RoomClient client(Duration requestTimeout, int maxAnswerBytes) {
        return RoomClient.builder(room.url(), KEY)
                .connectTimeout(Duration.ofSeconds(2))
                .requestTimeout(requestTimeout)
                .maxAnswerBytes(maxAnswerBytes)
                .build();
    }

    @AfterEach
    void stop() {
        end.countDown();
        client.close();
        room.close();
    }

    @Test
    void verify_sendsTheKeyAndTheToken_andReadsTheAnswer() {
        room.answer("/queue/verify", 200, "application/json", "{\"message\":\"User is ready\",\"ready\":true}");

        assertThat(client.verify(JWT)).isEqualTo(new Verification(true, "User is ready"));

        FakeServer.Request request = room.requests().get(0);
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.header("business_id")).isEqualTo(KEY);
        assertThat(request.header("X-Api-Key")).isEqualTo(KEY);
        assertThat(request.header("jwt")).isEqualTo(JWT);
    }

    @Test
    void verify_notReady() {
        room.answer(
                "/queue/verify",
                200,
                "application/json; charset=utf-8",
                "{\"message\":\"User is not ready\",\"ready\":false}");
        assertThat(client.verify(JWT).ready()).isFalse();
    }

    @Test
    void finish_readsBothStatuses() {
        room.answer(
                "/queue/finish",
                200,
                "application/json",
                "{\"status\":\"ready_cleared\",\"message\":\"User removed from ready state\"}");
        Finish cleared = client.finish(JWT);
        assertThat(cleared.status()).isEqualTo(Finish.Status.READY_CLEARED);
        assertThat(cleared.cleared()).isTrue();
        assertThat(room.requests().get(0).method()).isEqualTo("DELETE");

        room.answer(
                "/queue/finish",
                200,
                "application/json",
                "{\"status\":\"not_ready\",\"message\":\"User is not in ready state\"}");
        assertThat(client.finish(JWT)).isEqualTo(new Finish(Finish.Status.NOT_READY, "User is not in ready state"));
    }

    @Test
    void aBaseUrlWithAPathKeepsIt() {
        room.answer("/gatehouse/queue/verify", 200, "application/json", "{\"message\":\"m\",\"ready\":true}");
        try (RoomClient prefixed =
                RoomClient.builder(URI.create(room.url() + "/gatehouse/"), KEY).build()) {
            assertThat(prefixed.verify(JWT).ready()).isTrue();
        }
    }

    @Test
    void anErrorAnswer_carriesTheStatusAndTheServersDetail() {
        room.answer("/queue/verify", 401, "application/json", "{\"detail\":\"Invalid queue token\"}");

        ErrorResponseException error = catchThrowableOfType(ErrorResponseException.class, () -> client.verify(JWT));

        assertThat(error.status()).isEqualTo(401);
        assertThat(error.detail()).isEqualTo("Invalid queue token");
        assertThat(error.kind()).isEqualTo(Kind.ERROR_STATUS);
        assertThat(error.retryAfter()).isEmpty();
        assertThat(error).hasMessage("GET /queue/verify: 401 Invalid queue token");
    }

    @Test
    void aValidationError_joinsItsMessages_andA429_saysWhenToRetry() {
        room.answer(
                "/queue/verify",
                422,
                "application/json",
                "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"header\",\"jwt\"],\"msg\":\"Field required\"},"
                        + "{\"msg\":\"Another\"}]}");
        assertThat(catchThrowableOfType(ErrorResponseException.class, () -> client.verify(JWT))
                        .detail())
                .isEqualTo("Field required; Another");

        room.answer("/queue/verify", 429, "application/json", "{\"detail\":\"Too many requests\"}", "Retry-After", "7");
        assertThat(catchThrowableOfType(ErrorResponseException.class, () -> client.verify(JWT))
                        .retryAfter())
                .contains(Duration.ofSeconds(7));
    }

    @Test
    void anErrorPageOfAProxy_isQuotedShortAndWithoutControlCharacters() {
        room.answer("/queue/finish", 502, "text/html", "<html>\r\n<b>Bad Gateway</b>" + "x".repeat(5000) + "</html>");
        ErrorResponseException error = catchThrowableOfType(ErrorResponseException.class, () -> client.finish(JWT));
        assertThat(error.status()).isEqualTo(502);
        assertThat(error.detail()).startsWith("<html>  <b>Bad Gateway</b>").hasSizeLessThan(210);
    }

    @Test
    void aRedirectIsNotFollowed() {
        room.answer("/queue/verify", 302, "", "", "Location", "http://elsewhere.invalid/steal");
        assertThat(catchThrowableOfType(ErrorResponseException.class, () -> client.verify(JWT))
                        .status())
                .isEqualTo(302);
    }

    @Test
    void anAnswerThatIsNotJson_isMalformed() {
        room.answer("/queue/verify", 200, "application/json", "<html>ready</html>");
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "not JSON");
    }

    @Test
    void jsonOfAnotherContentType_isMalformed() {
        room.answer("/queue/verify", 200, "text/html", "{\"message\":\"m\",\"ready\":true}");
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "text/html");
    }

    @Test
    void jsonOfAnotherShape_isMalformed() {
        room.answer("/queue/verify", 200, "application/json", "{\"message\":\"m\",\"ready\":\"yes\"}");
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "\"ready\" is not a Boolean");
        room.answer("/queue/verify", 200, "application/json", "[true]");
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "not a JSON object");
        room.answer("/queue/verify", 200, "application/json", "{\"ready\":true,\"ready\":false,\"message\":\"m\"}");
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "Duplicate");
        room.answer("/queue/verify", 200, "application/json", "{\"ready\":true,\"message\":\"m\"} {}");
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "more after");
        room.answer("/queue/verify", 200, "application/json", "[".repeat(1_000));
        assertKind(() -> client.verify(JWT), Kind.MALFORMED_ANSWER, "");
        room.answer("/queue/finish", 200, "application/json", "{\"status\":\"gone\",\"message\":\"m\"}");
        assertKind(() -> client.finish(JWT), Kind.MALFORMED_ANSWER, "status \"gone\"");
    }

    @Test
    void aHugeBody_isCutOffAtTheBound() {
        client.close();
        client = client(Duration.ofSeconds(5), 1024);
        room.on(
                "/queue/verify",
                exchange -> { // chunked: no length to refuse it by
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(200, 0);
                    try (OutputStream out = exchange.getResponseBody()) {
                        byte[] chunk = " ".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
                        for (int i = 0; i < 1024 && end.getCount() > 0; i++) { // 64 MiB unless the client hangs up
                            out.write(chunk);
                        }
                    }
                });
        assertKind(() -> client.verify(JWT), Kind.ANSWER_TOO_LARGE, "maxAnswerBytes (1024 bytes)");
    }

    @Test
    void aDeclaredLengthOverTheBound_isRefusedBeforeTheBody() {
        client.close();
        client = client(Duration.ofSeconds(5), 1024);
        room.on("/queue/verify", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 100_000_000);
            exchange.getResponseBody().write('{');
            exchange.getResponseBody().flush();
            end.await(); // the body never comes: the client must not wait for it
        });
        assertKind(() -> client.verify(JWT), Kind.ANSWER_TOO_LARGE, "maxAnswerBytes");
    }

    @Test
    void anAnswerThatNeverComes_timesOut() {
        client.close();
        client = client(Duration.ofMillis(300), 1024);
        room.on("/queue/verify", exchange -> end.await());
        assertKind(() -> client.verify(JWT), Kind.TIMEOUT, "requestTimeout (PT0.3S)");
    }

    @Test
    void aBodyThatTrickles_timesOutToo() {
        client.close();
        client = client(Duration.ofMillis(300), 1024);
        room.on("/queue/verify", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 100);
            exchange.getResponseBody().write("{\"ready\":".getBytes(StandardCharsets.US_ASCII));
            exchange.getResponseBody().flush();
            end.await();
        });
        assertKind(() -> client.verify(JWT), Kind.TIMEOUT, "requestTimeout");
    }

    @Test
    void aRoomThatIsNotThere_isAConnectionFailure() {
        URI gone = room.url();
        room.close();
        try (RoomClient client = RoomClient.builder(gone, KEY).build()) {
            GatehouseClientException failure =
                    catchThrowableOfType(GatehouseClientException.class, () -> client.verify(JWT));
            assertThat(failure.kind()).isIn(Kind.CONNECTION, Kind.TIMEOUT);
        }
    }

    @Test
    void anInterruptedCaller_getsItsFlagBack() {
        room.on("/queue/verify", exchange -> end.await());
        Thread.currentThread().interrupt();
        try {
            assertKind(() -> client.verify(JWT), Kind.INTERRUPTED, "interrupted");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void tokensThatCannotBeAHeader_areRefusedBeforeSending() {
        for (String jwt : new String[] {"", "a\r\nX-Injected: 1", "tök"}) {
            assertThatThrownBy(() -> client.verify(jwt))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("jwt");
        }
        assertThat(room.requests()).isEmpty();
    }

    @Test
    void theBuilderChecksWhatItIsGiven() {
        assertThatThrownBy(() -> RoomClient.builder(URI.create("ftp://room"), KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("baseUrl: ftp://room");
        assertThatThrownBy(() -> RoomClient.builder(URI.create("http://user:pw@room"), KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user information");
        assertThatThrownBy(() -> RoomClient.builder(room.url(), " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("apiKey");
        assertThatThrownBy(() -> RoomClient.builder(room.url(), KEY).requestTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requestTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> RoomClient.builder(room.url(), KEY).maxAnswerBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxAnswerBytes: 0 (expected: 1..16777216)");
    }

    private static void assertKind(Runnable call, Kind kind, String inMessage) {
        GatehouseClientException failure = catchThrowableOfType(GatehouseClientException.class, call::run);
        assertThat(failure).as("a %s failure", kind).isNotNull();
        assertThat(failure.kind()).as(failure.getMessage()).isEqualTo(kind);
        assertThat(failure).hasMessageContaining(inMessage);
    }
}
