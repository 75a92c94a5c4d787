package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.http.CapturedLog;
import dev.gatehouse.testing.http.RawConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway's channel-level path for plain requests ({@link ChannelProxy}): what it shares with
 * Vert.x's path (one connection's order of answers), what it must bound (upstream connections, reads
 * ahead of a slow client, what a slow reader makes the upstream send) and what it owes a request in
 * progress (a shutdown waits for it; a kept connection the upstream dropped is tried again). The rest
 * of the gateway's tests run through it too: every GET without a body takes it.
 */
final class ChannelProxyTest extends ProxiedGatewayTest {

    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void plainRequestsGoOutOnOneKeptConnectionOfItsOwnPool() {
        try (TestGateway gateway = gateway("")) {
            for (int i = 0; i < 50; i++) {
                HttpResponse<String> answer = gateway.get("/n" + i);
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("upstream /base/n" + i);
            }

            assertThat(metrics(gateway)).contains("gatehouse_upstream_connections 1.0");
            assertThat(upstream.mostConnections()).isEqualTo(1);
            assertThat(metrics(gateway)).contains("gatehouse_requests_total{outcome=\"admitted\"} 50.0");
        }
    }

    @Test
    void pipelinedRequestsOfBothPathsAreAnsweredInTheOrderTheyCame() {
        try (TestGateway gateway = gateway("pow: {enabled: true}\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                // channel path, Vert.x (a body), channel, Vert.x (the admin API), channel, channel
                String answers = connection
                        .send("GET /one/delay HTTP/1.1\r\nHost: a\r\n\r\n"
                                + "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
                                + "GET /three/delay HTTP/1.1\r\nHost: a\r\n\r\n"
                                + "GET /__gatehouse__/challenge HTTP/1.1\r\nHost: a\r\n\r\n"
                                + "GET /five/delay HTTP/1.1\r\nHost: a\r\n\r\n"
                                + "GET /six HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readAnswers(6);

                assertThat(statuses(answers)).containsExactly(200, 200, 200, 405, 200, 200);
                assertThat(order(
                                answers,
                                "upstream /base/one/delay",
                                "upstream /base/two",
                                "upstream /base/three/delay",
                                "method not allowed",
                                "upstream /base/five/delay",
                                "upstream /base/six"))
                        .isTrue();
            }
        }
    }

    @ParameterizedTest // on this path, and on Vert.x's (bodies)
    @ValueSource(
            strings = {
                "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
                        + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
                        + "POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
            })
    void pipelinedRequestsBeforeOneThatClosesAreAllAnsweredThenTheConnectionCloses(String requests) {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answers = connection
                        .send(requests + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readUntilClosed();

                assertThat(statuses(answers)).containsExactly(200, 200, 200);
                assertThat(order(answers, "upstream /base/1", "upstream /base/2", "upstream /base/3"))
                        .isTrue();
                assertThat(answers).doesNotContain("/after");
            }
            assertThat(upstream.seen()).extracting(TestUpstream.Seen::uri).doesNotContain("/base/after");
        }
    }

    @Test
    void anAbsoluteFormTargetIsRefusedUnderTheAdminPrefixToo() {
        try (TestGateway gateway = gateway("pow: {enabled: true}\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send(
                                "POST http://zzz/__gatehouse__/challenge HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains("origin-form");
            }
        }
    }

    @Test
    void aTargetWithBytesOutsideAsciiIsRefusedNotReencoded() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET /caf\u00c3\u00a9?q=\u00c3\u00a9 HTTP/1.1\r\nHost: a\r\n\r\n"
                                .getBytes(StandardCharsets.ISO_8859_1))
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains("outside ASCII");
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aFloodOfPipelinedRequestsIsAnsweredWholeAndInOrder() throws Exception {
        int requests = 3_000;
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                StringBuilder flood = new StringBuilder();
                for (int i = 0; i < requests; i++) {
                    flood.append("GET /f").append(i).append(" HTTP/1.1\r\nHost: a\r\n\r\n");
                }
                // sent from another thread: the gateway stops reading while answers wait to be read
                CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> connection.send(flood.toString()));
                String answers = connection.readAnswers(requests);
                sent.join();

                assertThat(statuses(answers)).hasSize(requests).containsOnly(200);
                List<Integer> order = new ArrayList<>();
                Matcher body = Pattern.compile("upstream /base/f(\\d+)").matcher(answers);
                while (body.find()) {
                    order.add(Integer.parseInt(body.group(1)));
                }
                assertThat(order)
                        .isEqualTo(java.util.stream.IntStream.range(0, requests)
                                .boxed()
                                .toList());
            }
        }
    }

    @ParameterizedTest // kept connections, and connections the upstream closes after each answer
    @ValueSource(strings = {"/c/delay", "/c/closing/delay"})
    void manyClientsShareNoMoreUpstreamConnectionsThanAllowed(String path) throws Exception {
        int clients = 16;
        int each = 10;
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 2}\n")) {
            AtomicInteger answered = new AtomicInteger();
            Race.run(clients, () -> {
                try (RawConnection connection = RawConnection.open(gateway.port())) {
                    for (int i = 0; i < each; i++) {
                        String answer = connection
                                .send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n") // answered in 20 ms
                                .readAnswers(i + 1);
                        assertThat(statuses(answer)).hasSize(i + 1).containsOnly(200);
                    }
                    answered.addAndGet(each);
                }
            });

            assertThat(answered.get()).isEqualTo(clients * each);
            assertThat(upstream.seen()).hasSize(clients * each);
            // the connections' count as the upstream sees it lags behind the gateway's closes; the
            // calls it answers at once cannot: each is on a connection the gateway holds open
            assertThat(upstream.mostInFlight())
                    .as("calls the upstream answered at once")
                    .isBetween(1, 2);
        }
    }

    /**
     * A client that reads nothing holds the upstream back (on this path, and on Vert.x's: a body),
     * and is not cut off by the upstream's read bound meanwhile: the upstream is silent for the
     * client's sake then (the client's time is the write bound's to judge).
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET /big HTTP/1.1\r\nHost: a\r\n\r\n",
                "POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
            })
    void aClientThatDoesNotReadHoldsTheUpstreamBackAndGetsTheWholeAnswerWhenItReads(String request) throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_read: 100ms}\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                connection.send(request);
                TestGateway.awaitStill(upstream::bigSent, TestUpstream.BIG_BYTES);

                assertThat(upstream.bigSent())
                        .as("bytes the upstream could send a client that reads nothing")
                        .isLessThan(TestUpstream.BIG_BYTES / 2);

                InputStream in = connection.input();
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 200").contains("content-length: " + TestUpstream.BIG_BYTES);
                long body = 0;
                byte[] buffer = new byte[1 << 16];
                while (body < TestUpstream.BIG_BYTES) {
                    int n = in.read(buffer);
                    assertThat(n).as("the answer's bytes, all of them").isPositive();
                    body += n;
                }
                assertThat(body).isEqualTo(TestUpstream.BIG_BYTES);
            }
        }
    }

    @Test
    void aClientThatAsksWithoutReadingIsNotAnsweredIntoMemory() throws Exception {
        int requests = 2_000; // 16 MiB of answers, each read from the upstream at once, asked for in 80 KB
        try (TestGateway gateway = gateway("");
                Socket socket = new Socket()) {
            socket.setReceiveBufferSize(8 * 1024); // before connecting: the window the gateway sees
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()));
            socket.setSoTimeout((int) RawConnection.ANSWER_BOUND.toMillis());
            StringBuilder asks = new StringBuilder();
            for (int i = 0; i < requests; i++) {
                asks.append("GET /w").append(i).append("/wide HTTP/1.1\r\nHost: a\r\n\r\n");
            }
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(asks.toString().getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            TestGateway.awaitStill(() -> upstream.seen().size(), requests);

            assertThat(upstream.seen().size())
                    .as("requests passed on for a client that reads nothing")
                    .isLessThan(requests / 4);

            InputStream in = socket.getInputStream();
            for (int i = 0; i < requests; i++) { // once it reads, every one is answered
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 200").contains("content-length: " + TestUpstream.WIDE_BYTES);
                assertThat(in.readNBytes(TestUpstream.WIDE_BYTES)).hasSize(TestUpstream.WIDE_BYTES);
            }
            sent.join();
        }
    }

    @Test
    void aKeptConnectionTheUpstreamDroppedIsTriedOnceMoreOnANewOne() throws Exception {
        // each connection's first request is answered, its second dropped unanswered: a kept one gone stale
        try (RawUpstream dropping = new RawUpstream(n -> n == 0 ? OK : null, false);
                TestGateway gateway = TestGateway.start("upstream: " + dropping.url() + "\n")) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> answer = gateway.get("/again");
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("ok");
            }
            assertThat(dropping.connections()).isEqualTo(3);
            // the request tried again is the request as it was: its forwarding headers made once
            assertThat(dropping.heads())
                    .hasSize(5)
                    .allSatisfy(head -> assertThat(head)
                            .containsIgnoringCase("\r\nX-Forwarded-For: 127.0.0.1\r\n")
                            .containsOnlyOnce("127.0.0.1\r\n"));
        }
    }

    /**
     * A connection's bound on the upstream's answer is one timer, armed for its first call and looked
     * at again when it fires: a call that came after the first was answered is still held to its own
     * bound (a 504 in time), and calls answered in time are not cut by a bound of an earlier one.
     */
    @Test
    void eachCallOnAKeptConnectionIsHeldToItsOwnAnswerBound() {
        try (TestGateway gateway = gateway("timeouts: {upstream_response: 300ms}\n");
                RawConnection connection = RawConnection.open(gateway.port())) {
            for (int i = 1; i <= 3; i++) { // the connection's text holds every answer so far
                connection.send("GET /quick HTTP/1.1\r\nHost: a\r\n\r\n").readAnswers(i);
            }
            String answers = connection
                    .send("GET /hang HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                    .readAnswers(5);

            assertThat(statuses(answers)).containsExactly(200, 200, 200, 504, 200);
        }
    }

    /**
     * An upstream that sends its answer's head and part of its body, then nothing (its connection
     * open), holds its client no longer than {@code upstream_read} (on this path, and on Vert.x's:
     * a body): the client's connection is closed, the answer never taken for whole, and counted a
     * backend error.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET /stall HTTP/1.1\r\nHost: a\r\n\r\n",
                "POST /stall HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
            })
    void anUpstreamSilentInItsAnswersBodyIsCutOffAfterTheReadBound(String request) throws Exception {
        try (RawUpstream stalling = new RawUpstream(n -> "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", false);
                TestGateway gateway = TestGateway.start(
                        "upstream: " + stalling.url() + "\ntimeouts: {upstream_read: 300ms, write: -1s}\n");
                CapturedLog log = CapturedLog.start();
                RawConnection connection = RawConnection.open(gateway.port())) {
            String cut = connection.send(request).readUntilClosed();

            assertThat(cut).startsWith("HTTP/1.1 200").endsWith("hello");
            assertThat(connection.closedByServer()).isTrue();
            assertThat(metrics(gateway)).contains("gatehouse_requests_total{outcome=\"backend_error\"} 1.0");
            log.assertNoErrorOrStackTrace();
        }
    }

    /**
     * An answer cut off in its body (here the upstream closes after half of it) is a failure to the
     * breaker, as an upstream's 5xx is, though its head said 200 (on this path, and on Vert.x's: a
     * body), with the read bound on or off: an upstream that breaks every answer off trips it.
     */
    @ParameterizedTest
    @CsvSource({"GET, 60s", "POST, 60s", "GET, -1s", "POST, -1s"})
    void answersCutOffInTheirBodyTripTheBreaker(String method, String readBound) throws Exception {
        String request = method + " /cut HTTP/1.1\r\nHost: a\r\n"
                + (method.equals("POST") ? "Content-Length: 1\r\n\r\nx" : "\r\n");
        try (RawUpstream cutting = new RawUpstream(n -> "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", true);
                TestGateway gateway = TestGateway.start("upstream: " + cutting.url()
                        + "\ncircuit_breaker: {failure_ratio: 0.5, min_samples: 2, cooldown: 1h}\n"
                        + "timeouts: {upstream_read: " + readBound + "}\n")) {
            for (int i = 0; i < 2; i++) {
                try (RawConnection connection = RawConnection.open(gateway.port())) {
                    assertThat(connection.send(request).readUntilClosed())
                            .startsWith("HTTP/1.1 200")
                            .endsWith("hello");
                }
            }

            try (RawConnection connection = RawConnection.open(gateway.port())) {
                assertThat(statuses(connection.send(request).readAnswers(1))).containsExactly(503);
            }
        }
    }

    /**
     * A client that goes away in the middle of an answer is no fault of the upstream's (on this path,
     * and on Vert.x's: a body; an answer coming a piece at a time, and one of 64 MB the client stops
     * reading): neither a backend error nor a breaker failure, so clients leaving cannot open the
     * breaker for everyone.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET /drip", "POST /drip", "GET /big", "POST /big"})
    void aClientGoingAwayMidAnswerIsNoBreakerFailure(String methodAndPath) throws IOException {
        String request = methodAndPath + " HTTP/1.1\r\nHost: a\r\n"
                + (methodAndPath.startsWith("POST") ? "Content-Length: 1\r\n\r\nx" : "\r\n");
        try (TestGateway gateway = gateway("circuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            for (int i = 0; i < 3; i++) {
                try (RawConnection connection = RawConnection.open(gateway.port())) {
                    String head = readHead(connection.send(request).input());

                    assertThat(head).startsWith("HTTP/1.1 200");
                    connection.readBytes(5); // some of the body, then away
                }
            }
            TestGateway.awaitCondition(() -> metrics(gateway).contains("outcome=\"admitted\"} 3.0"));

            assertThat(metrics(gateway)).doesNotContain("outcome=\"backend_error\"} 1", "outcome=\"backend_error\"} 2");
            assertThat(gateway.get("/after").statusCode()).isEqualTo(200);
        }
    }

    /**
     * A client that goes away in the middle of its own body, after the upstream answered early (its
     * answer coming before the body's end), is no breaker failure either: the call is reset for the
     * client's sake (Vert.x's path: a body).
     */
    @Test
    void aClientLeavingMidUploadAfterAnEarlyAnswerIsNoBreakerFailure() throws Exception {
        try (RawUpstream early = new RawUpstream( // answers the head at once, never reads the body
                        n -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nearly, \r\n", false);
                TestGateway gateway = TestGateway.start(
                        "upstream: " + early.url() + "\ncircuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            for (int i = 0; i < 3; i++) {
                try (RawConnection connection = RawConnection.open(gateway.port())) {
                    String head = readHead(connection
                            .send("POST /early HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
                            .input());

                    assertThat(head).startsWith("HTTP/1.1 200");
                    assertThat(new String(connection.readBytes(12), StandardCharsets.US_ASCII))
                            .isEqualTo("7\r\nearly, \r\n");
                    connection.send("5\r\nworld\r\n"); // more of the body, then away before its end
                }
            }
            TestGateway.awaitCondition(
                    () -> requests(gateway, "admitted") + requests(gateway, "backend_error") == 3); // all counted

            assertThat(metrics(gateway))
                    .contains("outcome=\"backend_error\"} 0.0")
                    .contains("gatehouse_breaker_state 0.0");
        }
    }

    /**
     * The read bound is on each silence, not on the whole answer: a body that keeps coming, a piece
     * at a time, for longer than the bound (on this path, and on Vert.x's: a body) arrives whole.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET /drip HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                "POST /drip HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
            })
    void aBodyThatKeepsComingOutlivesTheReadBound(String request) {
        long bound = TestUpstream.DRIP_PIECES * TestUpstream.DRIP_MILLIS / 2;
        try (TestGateway gateway = gateway("timeouts: {upstream_read: " + bound + "ms}\n");
                RawConnection connection = RawConnection.open(gateway.port())) {
            String answer = connection.send(request).readUntilClosed();

            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("0\r\n\r\n");
            assertThat(answer.split("drop ", -1)).hasSize(TestUpstream.DRIP_PIECES + 1);
        }
    }

    /**
     * On Vert.x's path an answer's head goes out with its body's first bytes: an upstream silent
     * after its head, before any of them, has sent the client nothing, so the client gets a 504 on a
     * connection that serves on.
     */
    @Test
    void anUpstreamSilentBeforeItsBodysFirstByteIsA504OnVertxsPath() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        try (RawUpstream stalling = new RawUpstream(
                        n -> answered.getAndIncrement() == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" : OK,
                        false);
                TestGateway gateway =
                        TestGateway.start("upstream: " + stalling.url() + "\ntimeouts: {upstream_read: 300ms}\n");
                CapturedLog log = CapturedLog.start();
                RawConnection connection = RawConnection.open(gateway.port())) {
            String answers = connection
                    .send("POST /stall HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
                    .readAnswers(1);
            answers = connection
                    .send("POST /next HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
                    .readAnswers(2);

            assertThat(statuses(answers)).containsExactly(504, 200);
            assertThat(metrics(gateway)).contains("gatehouse_requests_total{outcome=\"backend_error\"} 1.0");
            log.assertNoErrorOrStackTrace();
        }
    }

    @Test
    void anAnswerWhoseBodyEndsWithTheConnectionReachesTheClientWhole() throws Exception {
        try (RawUpstream closing = new RawUpstream(
                        n -> "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it, to the close", true);
                TestGateway gateway = TestGateway.start("upstream: " + closing.url() + "\n")) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> answer = gateway.get("/to-the-close");
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("all of it, to the close");
            }
        }
    }

    @Test
    void earlyHintsBeforeTheAnswerArePassedOverAsVertxsPathDoes() throws Exception {
        try (RawUpstream hinting = new RawUpstream(
                        n -> "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                                + "HTTP/1.1 100 Continue\r\n\r\n" + OK,
                        false);
                TestGateway gateway = TestGateway.start(
                        "upstream: " + hinting.url() + "\n" + "circuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> answer = gateway.get("/hinted");
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("ok");
            }
            assertThat(metrics(gateway)).contains("gatehouse_breaker_state 0.0");
        }
    }

    @Test
    void bytesAfterAnAnswerNeverBecomeTheNextRequestsAnswer() throws Exception {
        // every answer carries a second one the gateway never asked for
        try (RawUpstream smuggling =
                        new RawUpstream(n -> OK + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nWRONG", false);
                TestGateway gateway = TestGateway.start("upstream: " + smuggling.url() + "\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answers = connection
                        .send("GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n"
                                + "GET /three HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readAnswers(3);

                assertThat(answers).doesNotContain("WRONG");
                assertThat(statuses(answers)).containsExactly(200, 200, 200);
            }
        }
    }

    /**
     * The upstream's answer goes on as it was read, less its hop's headers: a header no HTTP message
     * may carry (a control character in its value or its name, an empty name) makes it a 502, never
     * bytes the client reads as something else, and the kept connection it came on is not used again.
     */
    @ParameterizedTest
    @ValueSource(strings = {"X-Bad: a\u0000b", "X-Bad: a\u000bb", "X-Bad\u0001: b", "X-B\u007fad: b", ": X-Bad"})
    void anAnswerWithAHeaderNoMessageMayCarryIsA502(String header) throws Exception {
        AtomicInteger answered = new AtomicInteger(); // over all connections: the first answer is garbled
        try (RawUpstream garbling = new RawUpstream(
                        n -> answered.getAndIncrement() == 0
                                ? "HTTP/1.1 200 OK\r\n" + header + "\r\nContent-Length: 2\r\n\r\nok"
                                : OK,
                        false);
                TestGateway gateway = TestGateway.start("upstream: " + garbling.url() + "\n");
                CapturedLog log = CapturedLog.start()) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answers = connection
                        .send("GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readAnswers(2);

                assertThat(statuses(answers)).as(answers).containsExactly(502, 200);
                assertThat(answers).doesNotContain("X-B");
            }
            assertThat(garbling.connections()).isEqualTo(2);
            log.assertNoErrorOrStackTrace();
        }
    }

    /**
     * A body the upstream's decoder cannot read (a chunk size that is no number) after the head was
     * passed on (with a good chunk, in the same read): the client gets what went on, then its
     * connection is closed rather than a part taken for the whole, and the
     * upstream's connection, whose reader has given up, is not handed to the next call.
     */
    @Test
    void anAnswerWhoseBodyCannotBeReadIsCutOffAndItsConnectionNotReused() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        try (RawUpstream garbling = new RawUpstream(
                        n -> answered.getAndIncrement() == 0
                                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nZZ\r\n"
                                : OK,
                        false);
                TestGateway gateway =
                        TestGateway.start("upstream: " + garbling.url() + "\ntimeouts: {upstream_response: 1s}\n");
                CapturedLog log = CapturedLog.start()) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String cut =
                        connection.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n").readUntilClosed();

                // what went on of it is sent before the close (the head, the good chunk), with no last chunk
                assertThat(cut).startsWith("HTTP/1.1 200").endsWith("3\r\nabc\r\n");
                assertThat(connection.closedByServer()).isTrue();
            }
            HttpResponse<String> next = gateway.get("/two");

            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("ok");
            assertThat(garbling.connections()).isEqualTo(2);
            log.assertNoErrorOrStackTrace();
        }
    }

    /**
     * A refusal of a HEAD (here the rate limit's 429) is its head alone: a body after it would be
     * read as the front of the connection's next answer. The GET after it on the same connection
     * gets its own answer, body and all.
     */
    @Test
    void aRefusedHeadIsAnsweredWithoutABody() {
        try (TestGateway gateway = gateway("rate_limit: {rps: 1, burst: 1}\n");
                RawConnection connection = RawConnection.open(gateway.port())) {
            String answers = connection
                    .send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
                            + "HEAD /second HTTP/1.1\r\nHost: a\r\n\r\n"
                            + "GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .readUntilClosed();

            assertThat(statuses(answers)).containsExactly(200, 429, 429);
            String headAnswer = answers.substring(answers.indexOf("HTTP/1.1 429"));
            assertThat(headAnswer.substring(headAnswer.indexOf("\r\n\r\n") + 4))
                    .as("what follows the HEAD's answer head")
                    .startsWith("HTTP/1.1 429");
            assertThat(headAnswer.toLowerCase(java.util.Locale.ROOT)).contains("content-length: 20");
            assertThat(answers).containsOnlyOnce("rate limit exceeded");
        }
    }

    /**
     * A body that cannot be read from its first byte, in the read that brought the head: nothing of
     * the answer has gone out, so the client gets a 502 (not a connection closed on it with nothing,
     * nor a head with no body), the count a backend error (on this path the breaker a failure too),
     * and the next call a new connection. On Vert.x's path too (a body), whose head waits for the
     * body's first bytes.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET /%s HTTP/1.1\r\nHost: a\r\n\r\n",
                "POST /%s HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
            })
    void anAnswerWhoseBodyCannotBeReadFromItsStartIsA502(String request) throws Exception {
        AtomicInteger answered = new AtomicInteger();
        try (RawUpstream garbling = new RawUpstream(
                        n -> answered.getAndIncrement() == 0
                                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n"
                                : OK,
                        false);
                TestGateway gateway = TestGateway.start("upstream: " + garbling.url() + "\n");
                CapturedLog log = CapturedLog.start();
                RawConnection connection = RawConnection.open(gateway.port())) {
            String answers = connection
                    .send(request.formatted("one") + request.formatted("two"))
                    .readAnswers(2);

            assertThat(statuses(answers)).containsExactly(502, 200);
            assertThat(answers).endsWith("ok");
            assertThat(garbling.connections()).isEqualTo(2);
            // counted once the answer's last write is done, which can be just after the client read it
            TestGateway.awaitCondition(
                    () -> metrics(gateway).contains("gatehouse_requests_total{outcome=\"admitted\"} 1.0"));
            assertThat(metrics(gateway)).contains("gatehouse_requests_total{outcome=\"backend_error\"} 1.0");
            log.assertNoErrorOrStackTrace();
        }
    }

    /**
     * Bytes an upstream sends past its answer's end in the same read (a body on a 204's or a HEAD's
     * answer, more than its Content-Length), too few to be a message of their own: the connection
     * is closed, not pooled, so they never become the front of another client's answer.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET|HTTP/1.1 204 No Content\r\nContent-Length: 60\r\n\r\nHTTP/1.1 200 OK\r\nX-Smuggled: a\r\nX-Pad: ",
                "HEAD|HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nAAAAA",
                "GET|HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nX-Smuggled: a\r\nX-Pad: "
            })
    void bytesPastAnAnswersEndNeverReachTheNextCaller(String methodAndAnswer) throws Exception {
        String method = methodAndAnswer.substring(0, methodAndAnswer.indexOf('|'));
        String first = methodAndAnswer.substring(methodAndAnswer.indexOf('|') + 1);
        AtomicInteger answered = new AtomicInteger();
        try (RawUpstream sloppy = new RawUpstream(n -> answered.getAndIncrement() == 0 ? first : OK, false);
                // one event loop: one pool, which every later client's call draws from
                TestGateway gateway = TestGateway.start("upstream: " + sloppy.url() + "\nevent_loops: 1\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                connection
                        .send(method + " /first HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                        .readUntilClosed();
            }
            assertLaterCallsAreAnsweredOnANewConnection(gateway, sloppy);
        }
    }

    /** A status code is three digits (RFC 9110 15): an upstream's {@code 2000} is no answer to pass on. */
    @Test
    void anAnswerWhoseStatusIsNotThreeDigitsIsA502() throws Exception {
        try (RawUpstream odd = new RawUpstream(n -> "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok", false);
                TestGateway gateway = TestGateway.start("upstream: " + odd.url() + "\n")) {
            HttpResponse<String> answer = gateway.get("/odd");

            assertThat(answer.statusCode()).isEqualTo(502);
        }
    }

    /**
     * The same bytes sent while the connection waits in the pool, after the answer was read: the
     * connection is not handed to the next call.
     */
    @Test
    void bytesAnIdleConnectionReceivesNeverReachTheNextCaller() throws Exception {
        try (RawUpstream sloppy = new RawUpstream(n -> OK, false);
                TestGateway gateway = TestGateway.start("upstream: " + sloppy.url() + "\nevent_loops: 1\n")) {
            assertThat(gateway.get("/first").body()).isEqualTo("ok");
            sloppy.sendOnFirstConnection("HTTP/1.1 200 OK\r\nX-Smuggled: a\r\nX-Pad: ");

            assertLaterCallsAreAnsweredOnANewConnection(gateway, sloppy);
        }
    }

    /**
     * A later client's calls through {@code gateway} get {@code sloppy}'s plain answer, none of the
     * stray bytes, on a second upstream connection: the first was closed for what it held.
     */
    private static void assertLaterCallsAreAnsweredOnANewConnection(TestGateway gateway, RawUpstream sloppy) {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> next = gateway.get("/next");

            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("ok");
            assertThat(next.headers().map()).doesNotContainKey("x-smuggled");
        }
        assertThat(sloppy.connections()).isEqualTo(2);
    }

    /** A HEAD's answer has no body whatever its length says: the kept connection serves the next call. */
    @Test
    void aHeadsAnswerEndsWithItsHeadAndItsConnectionServesOn() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        try (RawUpstream upstream = new RawUpstream(
                        n -> answered.getAndIncrement() == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" : OK,
                        false);
                TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\nevent_loops: 1\n")) {
            HttpResponse<String> head = gateway.send("HEAD", "/h");
            HttpResponse<String> next = gateway.get("/next");

            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Length")).hasValue("5");
            assertThat(next.body()).isEqualTo("ok");
            assertThat(upstream.connections()).isEqualTo(1);
        }
    }

    /**
     * A transfer coding other than chunked last leaves the answer's end to the connection's close (RFC
     * 9112 6.3), as on Vert.x's path: {@code chunk} is no {@code chunked}.
     */
    @Test
    void anAnswerWhoseTransferCodingIsNotChunkedEndsWithTheConnection() throws Exception {
        try (RawUpstream closing = new RawUpstream(
                        n -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunk\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true);
                TestGateway gateway = TestGateway.start("upstream: " + closing.url() + "\n")) {
            HttpResponse<String> answer = gateway.get("/coded");

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("3\r\nabc\r\n0\r\n\r\n");
        }
    }

    @Test
    void theUpstreamsTrailersStayOnItsHopAsOnVertxsPath() throws Exception {
        try (RawUpstream trailing = new RawUpstream(
                        n -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n"
                                + "2\r\nok\r\n0\r\nX-Trailer: secret\r\n\r\n",
                        false);
                TestGateway gateway = TestGateway.start("upstream: " + trailing.url() + "\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                connection.send("GET /t HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                String answer = connection.readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(200);
                assertThat(answer).contains("\r\n2\r\nok\r\n0\r\n\r\n").doesNotContain("secret");
            }
        }
    }

    @Test
    void theClientsHostGoesUpWithoutTheDefaultPortAsOnVertxsPath() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                connection
                        .send("GET /h HTTP/1.1\r\nHost: example.com:80\r\n\r\n")
                        .readAnswers(1);
            }
            assertThat(upstream.last().headers().get("Host")).isEqualTo("example.com");
            assertThat(upstream.last().headers().get("X-Forwarded-Host")).isEqualTo("example.com:80");
        }
    }

    @Test
    void aFailedCallIsWrittenToTheAccessLogAsOnVertxsPath() throws Exception {
        ch.qos.logback.classic.Logger access =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("gatehouse.access");
        ch.qos.logback.classic.Level before = access.getLevel();
        access.setLevel(ch.qos.logback.classic.Level.INFO);
        try (TestGateway gateway = TestGateway.start("upstream: http://127.0.0.1:" + closedPort() + "\n")) {
            assertThat(gateway.get("/nobody-home").statusCode()).isEqualTo(502);

            TestGateway.awaitCondition(
                    () -> log.messages().stream().anyMatch(message -> message.equals("GET /nobody-home 502")));
        } finally {
            access.setLevel(before);
        }
    }

    @Test
    void aRefusedClientThatAsksWithoutReadingIsNotAnsweredIntoMemory() throws Exception {
        int requests = 50_000; // 2 MB of requests, about 7 MB of refusals
        Socket socket = new Socket();
        try (TestGateway gateway = gateway("rate_limit: {rps: 1, burst: 1}\n")) {
            socket.setReceiveBufferSize(8 * 1024);
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()));
            byte[] asks = "GET /r HTTP/1.1\r\nHost: a\r\n\r\n".repeat(requests).getBytes(StandardCharsets.US_ASCII);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(asks);
                } catch (IOException e) {
                    // closed by the test once it has seen enough
                }
            });
            TestGateway.awaitStill(() -> (long) requests(gateway, "rate_limited"), requests - 1);

            assertThat((long) requests(gateway, "rate_limited"))
                    .as("refusals written for a client that reads nothing")
                    .isLessThan(requests / 2);
            socket.close(); // the sender, blocked on a full connection, gives up
            sent.join();
        } finally {
            socket.close();
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    @Test
    void aShutdownLetsAnExchangeInProgressFinish() throws Exception {
        ch.qos.logback.classic.Logger proxyLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ChannelProxy.class);
        ch.qos.logback.classic.Level before = proxyLog.getLevel();
        proxyLog.setLevel(ch.qos.logback.classic.Level.DEBUG); // the word that the close waits
        try {
            TestGateway gateway = gateway("");
            CompletableFuture<HttpResponse<String>> answer = gateway.getAsync("/slow/held");
            TestGateway.awaitCondition(() -> upstream.seen().size() == 1);

            CompletableFuture<Void> closed = CompletableFuture.runAsync(gateway::close);
            TestGateway.awaitCondition(() -> log.messages().stream()
                    .anyMatch(message -> message.contains("the close waits for the end of the answer in progress")));
            upstream.letGo();

            assertThat(answer.get().statusCode()).isEqualTo(200);
            assertThat(answer.get().body()).isEqualTo("upstream /base/slow/held");
            closed.join();
        } finally {
            proxyLog.setLevel(before);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("an answer head").isNotNegative();
            head.append((char) b);
        }
        return head.toString().toLowerCase(java.util.Locale.ROOT).replace("http/1.1", "HTTP/1.1");
    }

    private static List<Integer> statuses(String answers) {
        List<Integer> statuses = new ArrayList<>();
        Matcher matcher = STATUS.matcher(answers);
        while (matcher.find()) {
            statuses.add(Integer.parseInt(matcher.group(1)));
        }
        return statuses;
    }

    /** Whether each of {@code parts} is found in {@code text} after the one before it. */
    private static boolean order(String text, String... parts) {
        int at = 0;
        for (String part : parts) {
            at = text.indexOf(part, at);
            if (at < 0) {
                return false;
            }
        }
        return true;
    }

    /** The count of {@code gatehouse_requests_total} with {@code outcome}. */
    private static double requests(TestGateway gateway, String outcome) {
        Matcher count = Pattern.compile("gatehouse_requests_total\\{outcome=\"" + outcome + "\"} (\\S+)")
                .matcher(metrics(gateway));
        return count.find() ? Double.parseDouble(count.group(1)) : 0;
    }

    private static String metrics(TestGateway gateway) {
        return gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""))
                .body();
    }

    /**
     * An upstream on a plain socket that answers each request head with the bytes {@code answer}
     * gives for the connection's request number (from 0), or drops the connection unanswered when it
     * gives null; with {@code closeAfter}, it closes each connection after its first answer.
     */
    private static final class RawUpstream implements AutoCloseable {

        private final ServerSocket server;
        private final AtomicInteger connections = new AtomicInteger();
        private final Queue<String> heads = new ConcurrentLinkedQueue<>();
        private final CompletableFuture<OutputStream> first = new CompletableFuture<>();
        private final java.util.function.IntFunction<String> answer;
        private final boolean closeAfter;

        RawUpstream(java.util.function.IntFunction<String> answer, boolean closeAfter) throws IOException {
            this.answer = answer;
            this.closeAfter = closeAfter;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(socket));
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
        }

        private void serve(Socket socket) {
            try (socket) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                first.complete(out);
                for (int request = 0; ; request++) {
                    heads.add(readRequestHead(in));
                    String reply = answer.apply(request);
                    if (reply == null) {
                        return; // dropped unanswered
                    }
                    out.write(reply.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (closeAfter) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the gateway closed it
            }
        }

        private static String readRequestHead(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < end.length) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed");
                }
                head.append((char) b);
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            return head.toString();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        /** Writes {@code bytes} on the first connection it accepted, outside any answer. */
        void sendOnFirstConnection(String bytes) throws IOException {
            OutputStream out = first.join();
            out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** The heads of the requests it read, in the order read. */
        List<String> heads() {
            return List.copyOf(heads);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
