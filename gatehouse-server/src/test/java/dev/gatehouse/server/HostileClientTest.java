package dev.gatehouse.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.Http2Connection.Frame;
import dev.gatehouse.server.rate.RateSettings;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.http.CapturedLog;
import dev.gatehouse.testing.http.RawConnection;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Hostile and slow clients against both listeners, over raw sockets and hand-written HTTP/2 frames:
 * every case gets an answer (its status named) or a close within a bound, never a 5xx, never an
 * ERROR log line or a stack trace; the server is healthy afterwards. Timeouts are made small through
 * the settings, so a case that waits for one takes a fraction of a second.
 */
final class HostileClientTest {

    private static final int MAX_STREAMS = 5;
    private static final int REFUSED_STREAM = 0x7;
    private static final int CANCEL = 0x8;

    private static TestServer server;
    private static CapturedLog log;
    private static ScheduledExecutorService pacer;

    /** Which listener a case runs against. */
    enum Listener {
        RATE,
        ADMIN;

        int port() {
            return this == RATE ? server.server().ratePort() : server.server().adminPort();
        }

        /** A path that answers 200 to GET and takes a body without reading it. */
        String path() {
            return this == RATE ? "/rate/hostile" : "/healthz";
        }
    }

    @BeforeAll
    static void start() {
        log = CapturedLog.start();
        pacer = Executors.newSingleThreadScheduledExecutor();
        Map<Setting<?>, String> settings = new HashMap<>();
        settings.put(HttpLimits.HEADER_TIMEOUT_MILLIS, "200");
        settings.put(HttpLimits.BODY_TIMEOUT_MILLIS, "300");
        settings.put(HttpLimits.WRITE_TIMEOUT_MILLIS, "300");
        settings.put(HttpLimits.IDLE_TIMEOUT_MILLIS, "400");
        settings.put(HttpLimits.MAX_CONCURRENT_STREAMS, Integer.toString(MAX_STREAMS));
        settings.put(RateSettings.MAX_REQUESTS, "1000");
        settings.put(AccessLog.LOG_4XX, "true");
        server = TestServer.start(settings);
    }

    @AfterAll
    static void stop() {
        try {
            assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
            assertThat(server.get("/rate/after-all").statusCode()).isEqualTo(200);
            assertThat(server.send(TestServer.request("GET", server.admin("/healthz")))
                            .statusCode())
                    .isEqualTo(200);
        } finally {
            server.close();
            pacer.shutdownNow();
            log.close();
        }
    }

    /** After every case: nothing at ERROR, no stack trace, at any level. */
    @AfterEach
    void noErrorLogged() {
        log.assertNoErrorOrStackTrace();
    }

    // ---- slow and silent clients, both listeners ----

    @ParameterizedTest
    @EnumSource(Listener.class)
    void silentConnection_isClosedAfterHeaderTimeout(Listener listener) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            assertThat(connection.readUntilClosed()).isEmpty();
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Listener.class)
    void halfSentHead_isAnswered408AndClosed(Listener listener) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            connection.send("GET " + listener.path() + " HTTP/1.1\r\nHost: x\r\n");

            String answer = connection.readUntilClosed();

            assertThat(RawConnection.status(answer)).isEqualTo(408);
            assertThat(answer).contains("http.header-timeout-millis");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Listener.class)
    void headSentAByteEvery50Millis_isCutAtTheAbsoluteHeaderDeadline(Listener listener) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            byte[] head = ("GET " + listener.path() + " HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            int[] sent = {0};
            // 50 ms apart, far under the 200 ms header timeout: an idle timeout alone never fires
            var sender = pacer.scheduleAtFixedRate(
                    () -> {
                        if (sent[0] < head.length && connection.trySend(new byte[] {head[sent[0]]})) {
                            sent[0]++;
                        }
                    },
                    0,
                    50,
                    TimeUnit.MILLISECONDS);
            try {
                String answer = connection.readUntilClosed();
                assertThat(RawConnection.status(answer)).isEqualTo(408);
            } finally {
                sender.cancel(false);
            }
            assertThat(sent[0]).as("bytes sent before the server gave up").isLessThan(head.length);
        }
    }

    @ParameterizedTest
    @EnumSource(Listener.class)
    void idleKeepAlive_isClosedAfterIdleTimeout(Listener listener) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            connection.send("GET " + listener.path() + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(RawConnection.status(connection.readAnswers(1))).isEqualTo(200);

            connection.readUntilClosed();

            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Listener.class)
    void bodyNeverFinished_connectionIsClosedAfterBodyTimeout(Listener listener) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            connection.send("POST " + listener.path() + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.Answers.count(answers)).isLessThanOrEqualTo(1);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void waitingCall_outlivesHeaderBodyAndIdleTimeouts() {
        String key = "/rate/waiting?maxRequests=1&canWait=true";
        assertThat(server.get(key).statusCode()).isEqualTo(200);
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            // the window is 1000 ms: the call waits longer than every timeout of this server
            connection.send("GET " + key + " HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(RawConnection.status(connection.readAnswers(1))).isEqualTo(200);
        }
    }

    // ---- request smuggling: refused with 400 and a close, the smuggled request never answered ----

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Transfer-Encoding: gzip",
                "Transfer-Encoding: chunked, chunked",
                "Transfer-Encoding: xchunked",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
                "Transfer-Encoding : chunked",
                "Transfer-Encoding: gzip\r\n chunked",
                "Content-Length: 5\r\nTransfer-Encoding: chunked",
                "Transfer-Encoding: chunked\r\nContent-Length: 5",
                "Content-Length: 5\r\nContent-Length: 6",
                "Content-Length: 5\r\nContent-Length: 5",
                "Content-Length: abc",
                "Content-Length: -1",
                "X-Nul: a\u0000b",
            })
    void ambiguousFraming_isRefused400AndClosed(String header) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /rate/smuggle HTTP/1.1\r\nHost: x\r\n" + header + "\r\n\r\n"
                    + "GET /rate/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(400);
            assertThat(RawConnection.Answers.count(answers)).isEqualTo(1);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void bareLineFeeds_areRefused400AndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/bare-lf HTTP/1.1\nHost: x\n\nGET /rate/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(400);
            assertThat(RawConnection.Answers.count(answers)).isEqualTo(1);
        }
    }

    @Test
    void badChunkSize_nothingAfterItIsAnsweredAndTheConnectionCloses() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /rate/chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "zz\r\nabc\r\n0\r\n\r\nGET /rate/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

            String answers = connection.readUntilClosed();

            // the rate API answers a call from its head, before its body: that answer, then the close
            assertThat(RawConnection.Answers.count(answers)).isLessThanOrEqualTo(1);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void chunkedBodyOverMaxBodyBytes_connectionCloses() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            String chunk = "a".repeat(8192);
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < 9; i++) { // 72 KiB > http.max-body-bytes (64 KiB)
                body.append("2000\r\n").append(chunk).append("\r\n");
            }
            connection.send("POST /rate/big-chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body);

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.Answers.count(answers)).isLessThanOrEqualTo(1);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void expectContinueWithTooLargeBody_isAnswered413AndTheSocketReallyCloses() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /rate/large HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                    + "Expect: 100-continue\r\n\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(413);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: !!!\r\n",
                "Connection: Upgrade\r\nUpgrade: h2c\r\n",
            })
    void h2cUpgradeThatIsMalformed_isAnswered400NamingTheProblem_AndTheSocketReallyCloses(String headers) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/upgrade HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(400);
            assertThat(answers)
                    .endsWith(
                            "\r\n\r\ninvalid h2c upgrade (expected: Connection naming Upgrade and"
                                    + " HTTP2-Settings, and one HTTP2-Settings header holding base64url SETTINGS; or no Upgrade: h2c)\n");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    // ---- malformed targets: a 4xx (or for overlong UTF-8 any answer), never a 5xx, never silence ----

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/rate/%zz",
                "/rate/k?maxRequests=%zz",
                "/rate/k?maxRequestsInQueue=%2",
                "/rate/k%",
                "/rate/k?canWait=%",
                "/debug/%zz",
                "/%zz",
            })
    void malformedEscape_isAnswered4xx(String target) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(RawConnection.status(connection.readAnswers(1))).isBetween(400, 499);
        }
    }

    @Test
    void overlongUtf8Escape_isAnsweredNever5xx() {
        // what key %C0%AF names is the rate API's decision (gocc takes the raw bytes); it must answer
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(RawConnection.status(connection.readAnswers(1))).isLessThan(500);
        }
    }

    // ---- oversized requests ----

    @Test
    void requestLineOverTheBound_isAnswered414AndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/" + "k".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(414);
            assertThat(answers)
                    .as("the server's version, not the placeholder of a request it could not read")
                    .startsWith("HTTP/1.1 ")
                    .contains("request line too long (expected: <= ")
                    .contains("http.max-initial-line-bytes");
        }
    }

    /** Netty reads what follows a space in the target as the version: the answer says so. */
    @Test
    void aSpaceInTheTarget_isAnswered400NamingTheRequestLine() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/a b HTTP/1.1\r\nHost: x\r\n\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(400);
            assertThat(answers)
                    .startsWith("HTTP/1.1 ")
                    .contains("invalid request line (expected: METHOD SP target SP HTTP/1.1");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 400})
    void headersOverTheBound_areAnswered431AndClosed(int headerCount) {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < headerCount; i++) {
            headers.append("X-H")
                    .append(i)
                    .append(": ")
                    .append("v".repeat(17_000 / headerCount))
                    .append("\r\n");
        }
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/k HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(431);
            assertThat(answers)
                    .contains("request headers too large (expected: <= ")
                    .contains("http.max-header-bytes");
        }
    }

    static Stream<Arguments> tooManyHeaders() {
        StringBuilder distinct = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            distinct.append("X-H").append(i).append(": v\r\n");
        }
        return Stream.of(
                Arguments.of(distinct.toString(), 102), // with Host, 102 > http.max-header-count (100)
                Arguments.of("X-Same: v\r\n".repeat(150), 151)); // each line counts, one name repeated too
    }

    @ParameterizedTest
    @MethodSource("tooManyHeaders")
    void moreHeaderLinesThanTheCount_areAnswered431AndClosed(String headers, int lines) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/k HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(431);
            assertThat(answers)
                    .contains("too many request headers: " + lines + " (expected: <= 100, http.max-header-count)");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void bodyOverTheBound_isAnswered413AndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /rate/k HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n" + "b".repeat(1000));

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(413);
        }
    }

    // ---- floods ----

    @Test
    void pipelinedRequests_areAllAnsweredInOrder() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100));

            assertThat(RawConnection.Answers.count(connection.readAnswers(100))).isEqualTo(100);
        }
    }

    @Test
    void connectionsPastTheCap_areClosedAtOnce_andAFreedPlaceIsUsable() {
        Map<Setting<?>, String> settings = new HashMap<>();
        settings.put(HttpLimits.MAX_CONNECTIONS, "4");
        settings.put(HttpLimits.HEADER_TIMEOUT_MILLIS, "60000"); // a close within the bound is the cap's
        try (TestServer capped = TestServer.start(settings)) {
            int port = capped.server().ratePort();
            List<RawConnection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawConnection connection = RawConnection.open(port);
                    held.add(connection);
                    // answered: counted by the server before the next one is opened (connections
                    // are set up on several event loops, in no fixed order across them)
                    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(RawConnection.Answers.count(connection.readAnswers(1)))
                            .isEqualTo(1);
                }
                try (RawConnection extra = RawConnection.open(port)) {
                    assertThat(extra.readUntilClosed()).isEmpty();
                    assertThat(extra.closedByServer()).isTrue();
                }
                held.removeFirst().close();
                Await.until(RawConnection.ANSWER_BOUND, () -> {
                    try (RawConnection fresh = RawConnection.open(port)) {
                        fresh.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                        String answer = fresh.readUntilClosed();
                        // closed unanswered while the server has not yet counted the freed place: ask again
                        return !answer.isEmpty() && RawConnection.status(answer) == 200;
                    }
                });
            } finally {
                held.forEach(RawConnection::close);
            }
        }
    }

    // ---- HTTP/2 (h2c prior knowledge) ----

    @Test
    void http2Request_isAnswered() {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            connection.send(connection.get(1, "/rate/h2", true, true));

            assertThat(responseStatus(connection, 1)).isEqualTo("200");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/rate/a b", "/rate/a\u0000", "/health\u0001", "/rate/a\r\nX: y"})
    void http2PathWithAControlCharacterOrSpace_isAnswered400(String path) {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            connection.send(connection.get(1, path, true, true));

            assertThat(responseStatus(connection, 1))
                    .as("as the same target over HTTP/1.1, never a rate key")
                    .isEqualTo("400");
        }
    }

    @Test
    void http2Connect_isAnsweredNever5xxNorLeftWithoutAnswer() {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            // a well-formed CONNECT: an authority, no :path and no :scheme (RFC 9113 8.5)
            connection.send(connection.headers(
                    1, new DefaultHttp2Headers().method("CONNECT").authority("127.0.0.1:1"), true));

            assertThat(Integer.parseInt(responseStatus(connection, 1))).isBetween(400, 499);
        }
    }

    @Test
    void http2StreamWithoutAuthority_isAnsweredNever5xx() {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            connection.send(connection.get(1, "/rate/h2-no-authority", false, true));

            assertThat(Integer.parseInt(responseStatus(connection, 1))).isLessThan(500);
        }
    }

    @ParameterizedTest
    @EnumSource(Listener.class)
    void silentHttp2Connection_isClosedAfterIdleTimeout(Listener listener) {
        try (Http2Connection connection = Http2Connection.open(listener.port())) {
            connection.readUntilClosed();
        }
    }

    @Test
    void http2StreamWhoseBodyNeverEnds_isResetAfterBodyTimeout() {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            connection.send(connection.get(1, "/rate/h2-slow-body", true, false));

            Optional<Frame> reset = connection.readUntil(frame -> frame.type() == Http2Connection.RST_STREAM);

            assertThat(reset).hasValueSatisfying(frame -> {
                assertThat(frame.streamId()).isEqualTo(1);
                assertThat(frame.errorCode()).isEqualTo(CANCEL);
            });
        }
    }

    @Test
    void http2StreamsBeyondTheLimit_areRefused() {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            ByteArrayOutputStream streams = new ByteArrayOutputStream();
            for (int i = 0; i <= MAX_STREAMS; i++) { // open streams: their bodies never end
                streams.writeBytes(connection.get(1 + 2 * i, "/rate/h2-streams", true, false));
            }
            connection.send(streams.toByteArray());
            int extra = 1 + 2 * MAX_STREAMS;

            Optional<Frame> refused = connection.readUntil(
                    frame -> frame.type() == Http2Connection.RST_STREAM && frame.streamId() == extra);

            assertThat(refused)
                    .hasValueSatisfying(frame -> assertThat(frame.errorCode()).isEqualTo(REFUSED_STREAM));
        }
    }

    @Test
    void http2ResetFlood_closesTheConnection() {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            for (int i = 0; i < 400; i++) {
                int stream = 1 + 2 * i;
                flood.writeBytes(connection.get(stream, "/rate/h2-rst", true, false));
                flood.writeBytes(Http2Connection.rstStream(stream, CANCEL));
            }
            connection.send(flood.toByteArray());

            Optional<Frame> goAway = connection.readUntil(frame -> frame.type() == Http2Connection.GOAWAY);

            assertThat(goAway).isPresent();
            connection.readUntilClosed();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {Http2Connection.PING, Http2Connection.SETTINGS})
    void http2ControlFrameFlood_isAnsweredOrClosedAndTheServerStaysUp(int type) {
        try (Http2Connection connection = Http2Connection.open(server.server().ratePort())) {
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            for (int i = 0; i < 5000; i++) {
                flood.writeBytes(
                        type == Http2Connection.PING
                                ? Http2Connection.ping(i)
                                : Http2Connection.frame(Http2Connection.SETTINGS, 0, 0, new byte[0]));
            }
            flood.writeBytes(connection.get(1, "/rate/h2-after-flood", true, true));
            connection.send(flood.toByteArray());

            Optional<Frame> answer =
                    connection.readUntil(frame -> frame.type() == Http2Connection.HEADERS && frame.streamId() == 1);

            answer.ifPresent(
                    frame -> assertThat(frame.headers().status().toString()).isEqualTo("200"));
        }
        assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void junkAfterHttp2Preface_isClosedWithoutAnErrorLog() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send(Http2Connection.PREFACE);
            connection.send(Http2Connection.frame(0, 0, 0, "junk".getBytes(StandardCharsets.US_ASCII)));

            connection.readUntilClosed();

            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void shortJunkAfterHttp2Preface_isClosedWithoutAnErrorLog() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send(Http2Connection.PREFACE); // then fewer bytes than a frame header
            connection.send("GARBAGE");

            connection.readUntilClosed();

            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @ParameterizedTest
    @CsvSource({"RATE, FOO/1.1", "RATE, HTTP/9.9", "RATE, http/1.1", "ADMIN, HTTP/7.0", "ADMIN, HTTP/2.0"})
    void unsupportedHttpVersion_is400NamingIt(Listener listener, String version) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            connection.send("GET " + listener.path() + " " + version + "\r\nHost: x\r\n\r\n");

            String answer = connection.readUntilClosed();

            assertThat(RawConnection.status(answer)).isEqualTo(400);
            assertThat(answer)
                    .startsWith("HTTP/1.1 400") // never the client's version echoed back
                    .contains("unsupported HTTP version " + version.toUpperCase(Locale.ROOT));
        }
    }

    static Stream<Arguments> malformedHeads() {
        return Stream.of(
                Arguments.of("GET /rate/a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n", "a control character or space"),
                Arguments.of("GET /rate/a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n", "a control character or space"),
                Arguments.of("GET /rate/a\u007fb HTTP/1.1\r\nHost: x\r\n\r\n", "a control character or space"),
                Arguments.of("GET /rate/no-host HTTP/1.1\r\n\r\n", "0 Host headers (expected: exactly one)"),
                Arguments.of("GET /rate/two HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host headers"),
                Arguments.of("GET /rate/e HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n", "a header with an empty name"));
    }

    @ParameterizedTest
    @MethodSource("malformedHeads")
    void malformedHead_is400NamingItAndClosed(String head, String problem) {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send(head.getBytes(StandardCharsets.ISO_8859_1));

            String answer = connection.readUntilClosed();

            assertThat(RawConnection.status(answer)).isEqualTo(400);
            assertThat(answer).contains(problem);
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void http10WithoutHost_isServed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/http10 HTTP/1.0\r\n\r\n");

            assertThat(RawConnection.status(connection.readUntilClosed())).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "RATE, /rate/%2e%2e/debug?limit=1",
        "RATE, /rate/x/%2E%2e/%2e%2e/debug/k",
        "RATE, /nope/../healthz",
        "RATE, /./healthz",
        "ADMIN, /metrics/%2e%2e/readyz"
    })
    void dotSegments_neverReachAnotherRoute(Listener listener, String path) {
        try (RawConnection connection = RawConnection.open(listener.port())) {
            connection.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");

            String answer = connection.readAnswers(1);

            assertThat(RawConnection.status(answer)).isEqualTo(400);
            assertThat(answer).contains("path with a . or .. segment").doesNotContain("NextCursor");
        }
    }

    @Test
    void tlsHelloOnThePlainPort_isAnswered400AndClosed() {
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send(
                    new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03});
            connection.send("\r\n\r\n");

            String answers = connection.readUntilClosed();

            assertThat(RawConnection.status(answers)).isEqualTo(400);
        }
    }

    @Test
    void accessLog_getsOneLineForARefusedRequest() {
        Logger access = (Logger) LoggerFactory.getLogger("gatehouse.access");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        access.addAppender(lines);
        Level before = access.getLevel();
        access.setLevel(Level.INFO);
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("POST /rate/te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
            connection.readUntilClosed();
        } finally {
            access.setLevel(before);
            access.detachAppender(lines);
        }
        assertThat(lines.list).hasSize(1);
        assertThat(lines.list.getFirst().getFormattedMessage()).isEqualTo("POST /rate/te 400");
    }

    @Test
    void accessLog_writesTheClientsPathEscaped_soItCannotForgeFields() {
        Logger access = (Logger) LoggerFactory.getLogger("gatehouse.access");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        access.addAppender(lines);
        Level before = access.getLevel();
        access.setLevel(Level.INFO);
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/%zz\"status=\"200\"\\ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(RawConnection.status(connection.readAnswers(1))).isEqualTo(400);
        } finally {
            access.setLevel(before);
            access.detachAppender(lines);
        }
        assertThat(lines.list).hasSize(1);
        ILoggingEvent line = lines.list.getFirst();
        String escaped = "/rate/%zz\\\"status=\\\"200\\\"\\\\";
        assertThat(line.getFormattedMessage()).isEqualTo("GET " + escaped + " 400");
        assertThat(line.getKeyValuePairs()).anySatisfy(pair -> {
            assertThat(pair.key).isEqualTo("path");
            assertThat(pair.value).isEqualTo(escaped);
        });
    }

    // ---- helpers ----

    private static String responseStatus(Http2Connection connection, int streamId) {
        Optional<Frame> headers =
                connection.readUntil(frame -> frame.type() == Http2Connection.HEADERS && frame.streamId() == streamId);
        assertThat(headers).as("response HEADERS on stream %s", streamId).isPresent();
        return headers.get().headers().status().toString();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
