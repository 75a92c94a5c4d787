package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.http.CapturedLog;
import dev.gatehouse.testing.http.RawConnection;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a hostile or broken client sends the gateway (the defects an attacker's probe found, each
 * kept here): nothing it does trips the breaker for everyone, walks out of the upstream's base path,
 * tunnels, smuggles a body past the upstream or makes the gateway log an ERROR.
 */
final class GatewayHostileClientTest extends ProxiedGatewayTest {

    @Test
    void brokenBodiesAndClientsThatLeaveDoNotTripTheBreaker() throws Exception {
        try (TestGateway gateway = gateway("circuit_breaker: {failure_ratio: 0.5, min_samples: 5, cooldown: 1h}\n")) {
            for (int i = 0; i < 12; i++) {
                try (RawConnection connection = RawConnection.open(gateway.port())) {
                    String answer = connection
                            .send("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n\r\n")
                            .readUntilClosed();
                    assertThat(RawConnection.status(answer)).isEqualTo(400);
                }
            }
            for (int i = 0; i < 6; i++) { // leave while the upstream has not answered yet
                try (RawConnection connection = RawConnection.open(gateway.port())) {
                    connection.send("GET /hang HTTP/1.1\r\nHost: a\r\n\r\n");
                    awaitSeen(i + 1);
                }
            }
            assertThat(gateway.get("/normal").statusCode())
                    .as("the breaker is still closed")
                    .isEqualTo(200);
        }
    }

    @Test
    void aWebSocketStaysOpenPastTheHeaderTimeoutWhileItsFramesFlow() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {read_header: 200ms}\n")) {
            List<String> echoed = new CopyOnWriteArrayList<>();
            WebSocket socket = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/chat"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            echoed.add(data.toString());
                            webSocket.request(1);
                            return null;
                        }
                    })
                    .get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 6; i++) { // 600 ms of frames: three header timeouts
                socket.sendText("frame " + i, true).get(10, TimeUnit.SECONDS);
                Thread.sleep(100);
            }
            TestGateway.awaitCondition(() -> echoed.size() == 6);

            assertThat(echoed).containsExactly("frame 0", "frame 1", "frame 2", "frame 3", "frame 4", "frame 5");
            assertThat(socket.isInputClosed()).isFalse();
            socket.abort();
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/../secret",
                "/%2e%2e/secret",
                "/x/../../admin",
                "/x/..%2fsecret",
                "/x\\..\\secret",
                "/.",
                "/..;/admin",
                "/x/..;jsessionid=1/admin",
                "/x/%EF%BC%8E%EF%BC%8E/secret", // fullwidth dots: .. to an upstream that normalizes (NFKC)
                "/x%EF%BC%8F%E2%80%A5%EF%BC%8Fsecret" // fullwidth slashes around a two-dot leader
            })
    void aPathThatCouldWalkOutOfTheBasePathIsRefused(String path) {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains("path with a . or .. segment");
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void anHttp2ClientReadsTheGatewaysOwnRefusals() throws Exception {
        try (TestGateway gateway = gateway("")) {
            withHttp2Client(client -> {
                // an answer with a Connection header is malformed over HTTP/2: the client resets its stream
                String traversal =
                        h2Answer(client, gateway, HttpMethod.GET, "/%2e%2e/secret", MultiMap.caseInsensitiveMultiMap());
                String expectation = h2Answer(
                        client,
                        gateway,
                        HttpMethod.POST,
                        "/x",
                        MultiMap.caseInsensitiveMultiMap().add("expect", "something"));

                assertThat(traversal).startsWith("400 ").contains("path with a . or .. segment");
                assertThat(expectation).startsWith("417 ").contains("Expect: only 100-continue");
            });
            assertThat(upstream.seen()).isEmpty();
        }
    }

    /** What a test does with an HTTP/2 client. */
    @FunctionalInterface
    private interface Http2Test {
        void run(io.vertx.core.http.HttpClient client) throws Exception;
    }

    /** Runs {@code test} with an HTTP/2 client (h2c, prior knowledge) on a Vert.x of its own, closed after. */
    private static void withHttp2Client(Http2Test test) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            var client = vertx.httpClientBuilder()
                    .with(h2c())
                    .withConnectHandler(connection -> connection.exceptionHandler(ignored -> {})) // the test's side
                    .build();
            test.run(client);
            client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** An HTTP/2 client's options: h2c with prior knowledge. */
    private static HttpClientOptions h2c() {
        return new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }

    /** The options of an HTTP/2 client that opens no window: it takes nothing of any answer. */
    private static HttpClientOptions h2cOpeningNoWindow() {
        return h2c().setInitialSettings(new io.vertx.core.http.Http2Settings().setInitialWindowSize(0));
    }

    /** A GET of {@code uri} from {@code gateway}. */
    private static RequestOptions get(TestGateway gateway, String uri) {
        return new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost("127.0.0.1")
                .setPort(gateway.port())
                .setURI(uri);
    }

    /** "status body" of one request over HTTP/2 (h2c, prior knowledge), with a body of one byte for a POST. */
    private static String h2Answer(
            io.vertx.core.http.HttpClient client, TestGateway gateway, HttpMethod method, String path, MultiMap headers)
            throws Exception {
        return client.request(new RequestOptions()
                        .setMethod(method)
                        .setHost("127.0.0.1")
                        .setPort(gateway.port())
                        .setURI(path)
                        .setHeaders(headers))
                .compose(request -> method.equals(HttpMethod.POST) ? request.send("x") : request.send())
                .compose(answer -> answer.body().map(body -> answer.statusCode() + " " + body))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /**
     * The listener's fixed bounds (docs/gateway.md): a request line over 16 KiB 414, more than 200
     * header lines or a header block over 64 KiB 431, each naming its bound, and no `http.*` setting
     * of serve's (the gateway has none of them), then closed.
     */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "line | 414 | request line too long (expected: <= 16384 bytes)",
                "count | 431 | (expected: <= 200)",
                "block | 431 | request headers too large (expected: <= 65536 bytes)",
            })
    void aHeadOverTheListenersBoundsIsRefusedNamingTheBound(String over, int status, String message) {
        String head = switch (over) {
            case "line" -> "GET /" + "a".repeat(17_000) + " HTTP/1.1\r\nHost: a\r\n";
            case "count" -> "GET / HTTP/1.1\r\nHost: a\r\n" + "X-H: v\r\n".repeat(201);
            default -> "GET / HTTP/1.1\r\nHost: a\r\n" + ("X-H: " + "v".repeat(1000) + "\r\n").repeat(70);
        };
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection.send(head + "\r\n").readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(status);
                assertThat(answer).contains(message).doesNotContain("http.");
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    /**
     * An answer the upstream breaks off mid-body, over HTTP/2: the stream is reset with CANCEL, not
     * NO_ERROR, which after an answer's start would tell the client the answer is whole (RFC 9113
     * 8.1; curl takes it so).
     */
    @Test
    void anAnswerBrokenOffIsResetAsCancelledOverHttp2() throws Exception {
        try (TestGateway gateway = gateway("")) {
            withHttp2Client(client -> assertThatThrownBy(() -> h2Answer(
                            client, gateway, HttpMethod.GET, "/truncate-chunked", MultiMap.caseInsensitiveMultiMap()))
                    .rootCause()
                    .isInstanceOfSatisfying(
                            io.vertx.core.http.StreamResetException.class,
                            reset -> assertThat(reset.getCode()).isEqualTo(8)));
        }
    }

    /**
     * Over HTTP/2, a client that resets its stream in the middle of an answer (64 MB coming, the
     * connection kept) is no fault of the upstream's: no backend error, no breaker failure.
     */
    @Test
    void aStreamResetMidAnswerIsNoBreakerFailure() throws Exception {
        try (TestGateway gateway = gateway("circuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            withHttp2Client(client -> {
                for (int i = 0; i < 3; i++) {
                    client.request(get(gateway, "/big"))
                            .compose(request -> request.send().compose(answer -> {
                                assertThat(answer.statusCode()).isEqualTo(200);
                                io.vertx.core.Promise<Void> begun = io.vertx.core.Promise.promise();
                                answer.handler(piece -> begun.tryComplete());
                                return begun.future().compose(v -> request.reset());
                            }))
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(10, TimeUnit.SECONDS);
                }
            });
            TestGateway.awaitCondition(() -> metrics(gateway).contains("outcome=\"admitted\"} 3.0"));

            assertThat(metrics(gateway)).contains("outcome=\"backend_error\"} 0.0");
            assertThat(gateway.get("/after").statusCode()).isEqualTo(200);
        }
    }

    /**
     * An HTTP/2 client that opens no window and asks for large answers on many streams (a probe's
     * find: the gateway read about 0.7 MB of each answer ahead, in direct memory, up to 1,000
     * streams a connection): what the gateway holds for it is an answer's bound a stream (64 KiB, and a
     * piece a stream past it; Vert.x alone holds sixteen pieces a stream waiting for a window), other
     * clients are served meanwhile, and when it goes what was held is let go. The listener offers 128
     * streams a connection (nginx's default). With no window not even the answers' heads go out.
     */
    @Test
    void anHttp2ClientThatOpensNoWindowHoldsLittleOfItsAnswers() throws Exception {
        int streams = 32;
        try (TestGateway gateway = gateway("")) {
            Vertx vertx = Vertx.vertx();
            try {
                List<io.vertx.core.http.HttpConnection> connections = new CopyOnWriteArrayList<>();
                var client = vertx.httpClientBuilder()
                        .with(h2cOpeningNoWindow())
                        .withConnectHandler(connection -> {
                            connection.exceptionHandler(ignored -> {});
                            connections.add(connection);
                        })
                        .build();
                for (int i = 0; i < streams; i++) { // with no window, not even the answers' heads come back
                    client.request(get(gateway, "/big"))
                            .compose(request -> request.send())
                            .onSuccess(answer ->
                                    answer.exceptionHandler(ignored -> {})); // the test's side, cut at its close
                }
                awaitSeen(streams);
                TestGateway.awaitStill(upstream::bigSent, Long.MAX_VALUE); // the upstream no longer sends

                assertThat(held(gateway))
                        .as("answer bytes held for the client: an answer's bound a stream, and a piece past it")
                        .isPositive()
                        .isLessThanOrEqualTo(streams
                                * (long) (AnswerBudget.ANSWER_BYTES + HttpClientOptions.DEFAULT_MAX_CHUNK_SIZE));
                assertThat(gateway.get("/after").statusCode()).isEqualTo(200);
                assertThat(connections).hasSize(1);
                assertThat(connections.get(0).remoteSettings().getMaxConcurrentStreams())
                        .as("streams the listener offers a connection")
                        .isEqualTo(128);

                client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                TestGateway.awaitCondition(() -> held(gateway) == 0);
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Many HTTP/2 clients on two event loops, each reading its answers in fits and starts on several
     * streams at once: every answer arrives whole, what is held never passes an answer's bound (and
     * a piece) a stream, and nothing is held once they are done.
     */
    @Test
    void answersReadInFitsAndStartsOnManyConnectionsArriveWholeAndLeaveNothingHeld() throws Exception {
        int connections = 6;
        int streams = 24;
        int bytes = 512 * 1024;
        try (TestGateway gateway = gateway("event_loops: 2\n")) {
            Vertx vertx = Vertx.vertx();
            try {
                List<io.vertx.core.Future<Long>> answers = new java.util.ArrayList<>();
                long[] mostHeld = {0};
                List<io.vertx.core.http.HttpClient> clients =
                        new java.util.ArrayList<>(); // Vert.x closes one unreferenced
                for (int c = 0; c < connections; c++) {
                    var client = vertx.httpClientBuilder().with(h2c()).build();
                    clients.add(client);
                    for (int s = 0; s < streams; s++) {
                        answers.add(client.request(get(gateway, "/big?bytes=" + bytes))
                                .compose(request -> request.send())
                                .compose(answer -> readInFits(vertx, answer)));
                    }
                }
                io.vertx.core.Future<?> all = io.vertx.core.Future.join(answers);
                TestGateway.awaitCondition(() -> {
                    mostHeld[0] = Math.max(mostHeld[0], held(gateway));
                    return all.isComplete();
                });

                assertThat(answers)
                        .allSatisfy(answer -> assertThat(answer.succeeded() ? answer.result() : answer.cause())
                                .isEqualTo((long) bytes));
                assertThat(mostHeld[0])
                        .isLessThanOrEqualTo(connections
                                * streams
                                * (long) (AnswerBudget.ANSWER_BYTES + HttpClientOptions.DEFAULT_MAX_CHUNK_SIZE));
                TestGateway.awaitCondition(() -> held(gateway) == 0);
                java.lang.ref.Reference.reachabilityFence(clients);
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * An answer whose client takes none of it for the write bound is given up, its stream reset,
     * over HTTP/2 too, where a client that opens no window fills no send buffer for the listener's
     * own bound to see: what it held is let go while the client stays connected.
     */
    @Test
    void anAnswerTheClientTakesNothingOfForTheWriteBoundIsGivenUp() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {write: 300ms}\n")) {
            Vertx vertx = Vertx.vertx();
            try {
                var client =
                        vertx.httpClientBuilder().with(h2cOpeningNoWindow()).build();
                io.vertx.core.Promise<Throwable> ended = io.vertx.core.Promise.promise();
                client.request(get(gateway, "/big"))
                        .compose(request -> request.send())
                        .onComplete(answer -> {
                            if (answer.failed()) {
                                ended.tryComplete(answer.cause());
                            } else { // the head, going out with the reset
                                answer.result().exceptionHandler(ended::tryComplete);
                            }
                        });
                awaitSeen(1);

                TestGateway.awaitCondition(() -> ended.future().isComplete());
                assertThat(ended.future().result())
                        .isInstanceOfSatisfying(
                                io.vertx.core.http.StreamResetException.class,
                                reset ->
                                        assertThat(reset.getCode()).as("CANCEL").isEqualTo(8));
                TestGateway.awaitCondition(() -> held(gateway) == 0);
                assertThat(metrics(gateway))
                        .contains("gatehouse_answers_given_up_total 1.0")
                        .contains("outcome=\"backend_error\"} 0.0");
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Clients that ask for big answers and read none of them hold every connection of the upstream
     * pool (a slow-read attack: a connection each): a request that waits a second for one has those
     * answers given up, and is answered well within the dial bound, where it was refused at that
     * bound (503) and the clients held the pool for the listener's write bound. A GET takes the plain
     * requests' pool, a request with a body Vert.x's (whose close would wait behind what the client
     * left unread: an attacker's probe found the answers counted as given up and the pool still held).
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST"})
    void clientsThatReadNothingDoNotKeepOthersFromTheUpstreamConnections(String method) throws Exception {
        String ask = method + " /big HTTP/1.1\r\nHost: a\r\n"
                + (method.equals("POST") ? "Content-Length: 1\r\n\r\nx" : "\r\n");
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 2, upstream_dial: 4s}\n");
                RawConnection first = RawConnection.open(gateway.port());
                RawConnection second = RawConnection.open(gateway.port())) {
            first.send(ask);
            second.send(ask);
            awaitSeen(2);
            TestGateway.awaitStill(upstream::bigSent, 2L * TestUpstream.BIG_BYTES); // both held now

            assertThat(gateway.send(TestGateway.request(
                                    method, gateway.uri("/after"), method.equals("POST") ? "x" : ""))
                            .statusCode())
                    .isEqualTo(200);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isPositive();
            assertThat(metrics(gateway)).contains("outcome=\"backend_error\"} 0.0");
        }
    }

    /** With the write bound off nothing is given up: the pool stays with the clients that hold it. */
    @Test
    void withTheWriteBoundOffNoAnswerIsGivenUp() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 1, upstream_dial: 2s, write: -1s}\n");
                RawConnection idle = RawConnection.open(gateway.port())) {
            idle.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
            awaitSeen(1);
            TestGateway.awaitStill(upstream::bigSent, TestUpstream.BIG_BYTES);

            assertThat(gateway.get("/after").statusCode())
                    .as("shed at the dial bound")
                    .isEqualTo(503);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isZero();
        }
    }

    /**
     * A client reading a quarter of a megabyte a second is held back for seconds at a time by a full send
     * buffer (the kernel says there is room only once a third of it is read), yet keeps its answer
     * while requests keep waiting for its connection: only the client reading nothing is given up (an
     * attacker's probe found readers at 0.1 to 1 MB/s cut off while being held a second was enough).
     */
    @Test
    void aClientReadingSteadilyKeepsItsAnswerWhileOneReadingNothingIsGivenUp() throws Exception {
        int bytes = 16 * 1024 * 1024;
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 2, upstream_dial: 8s}\n");
                RawConnection reader = RawConnection.open(gateway.port());
                RawConnection idle = RawConnection.open(gateway.port());
                java.util.concurrent.ExecutorService clients =
                        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            reader.send("GET /big?bytes=" + bytes + " HTTP/1.1\r\nHost: a\r\n\r\n");
            java.util.concurrent.atomic.AtomicBoolean fast = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.Future<Long> body = clients.submit(() -> readInBursts(
                    reader, bytes, 16 * 1024, 60, new java.util.concurrent.atomic.AtomicInteger(), fast)); // 250 KB/s
            idle.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
            awaitSeen(2);

            List<java.util.concurrent.CompletableFuture<Integer>> waiting =
                    List.of(1, 2, 3).stream() // each takes the connection for TestUpstream's drip: waits go on
                            .map(i -> java.util.concurrent.CompletableFuture.supplyAsync(
                                    () -> gateway.get("/after/drip").statusCode(), clients))
                            .toList();
            for (java.util.concurrent.CompletableFuture<Integer> each : waiting) {
                assertThat(each.get(20, TimeUnit.SECONDS)).isEqualTo(200);
            }
            fast.set(true);

            assertThat(body.get(20, TimeUnit.SECONDS))
                    .as("the steady reader's answer, whole")
                    .isEqualTo(bytes);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isEqualTo(1);
        }
    }

    /**
     * A client reading in bursts (half a megabyte, then two seconds of nothing: a rate-limited
     * download) leaves its answer idle for seconds at a time. While requests wait for the pool, the
     * answers of clients that read nothing at all are given up first, and only as many as requests
     * wait, so it keeps its answer: an attacker's requests that each stop reading once answered
     * (each waits for the connection one of the others held) take the place of those before them,
     * and the reader is never the one whose client took nothing longest. When every answer idle a
     * second was given up for any request waiting, the first wait alone cut all the others.
     */
    @Test
    void aClientReadingInBurstsKeepsItsAnswerWhileThoseReadingNothingAreGivenUpFirst() throws Exception {
        int bytes = 16 * 1024 * 1024;
        int unread = 4;
        String ask = "GET /big?bytes=" + bytes + " HTTP/1.1\r\nHost: a\r\n\r\n";
        List<RawConnection> clients = new java.util.ArrayList<>();
        try (TestGateway gateway =
                        gateway("timeouts: {upstream_max_conns: " + (unread + 1) + ", upstream_dial: 8s}\n");
                RawConnection reader = RawConnection.open(gateway.port());
                java.util.concurrent.ExecutorService threads =
                        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < unread; i++) {
                clients.add(RawConnection.open(gateway.port()).send(ask));
            }
            awaitSeen(unread);
            reader.send(ask);
            awaitSeen(unread + 1);
            java.util.concurrent.atomic.AtomicInteger bursts = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean fast = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.Future<Long> body =
                    threads.submit(() -> readInBursts(reader, bytes, 512 * 1024, 2_000, bursts, fast));
            // the answers read nothing for longer than the reader's gaps before anybody waits
            TestGateway.awaitCondition(() -> bursts.get() >= 2);

            for (int i = 0; i < unread; i++) { // one at a time: each waits for a connection to be freed
                RawConnection next = RawConnection.open(gateway.port());
                clients.add(next);
                assertThat(headRead(next.send(ask).input())).startsWith("HTTP/1.1 200");
            }
            fast.set(true);

            assertThat(body.get(30, TimeUnit.SECONDS))
                    .as("the bursty reader's answer, whole")
                    .isEqualTo(bytes);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total"))
                    .as("one for each request that waited")
                    .isEqualTo(unread);
        } finally {
            clients.forEach(RawConnection::close);
        }
    }

    /**
     * A download whose client has other things to do: with the answer's pool full, one reading
     * nothing and one reading in bursts (two megabytes, three seconds apart), more requests wait than there are
     * answers read slowly; the one reading nothing is given up, and the others wait for it, not for
     * the download (when every answer idle a second could go, it was cut as the waits went on).
     */
    @Test
    void aDownloadReadInBurstsIsKeptWhenMoreWaitThanAreReadSlowly() throws Exception {
        int bytes = 16 * 1024 * 1024;
        String ask = "GET /big?bytes=" + bytes + " HTTP/1.1\r\nHost: a\r\n\r\n";
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 2, upstream_dial: 8s}\n");
                RawConnection idle = RawConnection.open(gateway.port());
                RawConnection reader = RawConnection.open(gateway.port());
                java.util.concurrent.ExecutorService threads =
                        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            idle.send(ask);
            awaitSeen(1);
            reader.send(ask);
            awaitSeen(2);
            java.util.concurrent.atomic.AtomicInteger bursts = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean fast = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.Future<Long> body =
                    threads.submit(() -> readInBursts(reader, bytes, 2 * 1024 * 1024, 3_000, bursts, fast));
            TestGateway.awaitCondition(() -> bursts.get() >= 1);

            List<java.util.concurrent.Future<Integer>> waiting = List.of(1, 2, 3).stream() // each holds it for the drip
                    .map(i -> threads.submit(() -> gateway.get("/after/drip").statusCode()))
                    .toList();
            for (java.util.concurrent.Future<Integer> each : waiting) {
                assertThat(each.get(20, TimeUnit.SECONDS)).isEqualTo(200);
            }
            fast.set(true);

            assertThat(body.get(30, TimeUnit.SECONDS)).as("the download, whole").isEqualTo(bytes);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isEqualTo(1);
        }
    }

    /**
     * A client that makes its receive buffer large and reads nothing takes megabytes into it at once:
     * as fast over its answer's life as a download through a rate limit, and as idle after. It keeps
     * its answer through the pause such a download makes (ten seconds), not past it: an attacker's
     * probe found one socket option kept the pool for the write bound (30 s), every other request
     * refused meanwhile.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST"})
    void aClientWithALargeReceiveBufferReadingNothingIsGivenUpAfterTenSeconds(String method) throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 1, upstream_dial: 20s}\n");
                java.net.Socket hoarder = holdingBig(gateway, method, 4 * 1024 * 1024)) {

            assertThat(gateway.send(TestGateway.request(
                                    method, gateway.uri("/after"), method.equals("POST") ? "x" : ""))
                            .statusCode())
                    .isEqualTo(200);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isEqualTo(1);
            java.lang.ref.Reference.reachabilityFence(hoarder); // open, reading nothing, throughout
        }
    }

    /**
     * A client that sets the smallest receive buffer and takes a few hundred bytes five times a second
     * holds the pool: on the plain path it is never idle a second, and is given up for a waiting
     * request once its pace over ten seconds is known, from what its TCP acknowledged (an attacker's
     * probe held a pool of 64 this way, every other request waiting the dial bound and then
     * refused). On Vert.x's path, given up sooner (what it takes is counted by the piece), its
     * connection is reset at once: Vert.x's own close waited for the end of the answer, so the
     * connection stayed open, and what was queued for it held, until the write bound.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST"})
    void aClientTricklingThroughTheSmallestBufferIsGivenUpForAWaitingRequest(String method) throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 1, upstream_dial: 20s, write: 60s}\n");
                java.net.Socket trickler = holdingBig(gateway, method, 1);
                java.util.concurrent.ExecutorService threads =
                        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.Future<?> trickling = threads.submit(() -> {
                java.io.InputStream in = trickler.getInputStream();
                byte[] piece = new byte[600];
                int n;
                while ((n = in.read(piece)) >= 0) {
                    taken.addAndGet(n);
                    Thread.sleep(200);
                }
                return null;
            });

            assertThat(gateway.send(TestGateway.request(
                                    method, gateway.uri("/after"), method.equals("POST") ? "x" : ""))
                            .statusCode())
                    .isEqualTo(200);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isEqualTo(1);
            assertThat(taken.get()).as("it took some all along").isPositive();
            assertThatThrownBy(() -> trickling.get(10, TimeUnit.SECONDS))
                    .as("reset")
                    .hasCauseInstanceOf(java.net.SocketException.class);
        }
    }

    /**
     * The same client, and a request that would be refused before its pause is over: a fast reader
     * idle a second goes for a request that has waited to within a second of the dial bound.
     */
    @Test
    void aFastReaderIdleASecondIsGivenUpForARequestAboutToBeRefused() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 1, upstream_dial: 3s}\n");
                java.net.Socket hoarder = holdingBig(gateway, "GET", 4 * 1024 * 1024)) {

            assertThat(gateway.get("/after").statusCode()).isEqualTo(200);
            assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isEqualTo(1);
            java.lang.ref.Reference.reachabilityFence(hoarder); // open, reading nothing, throughout
        }
    }

    /**
     * An answer given up resets its client's connection, on both paths: a close would have the kernel
     * send it what it still holds first (megabytes, for minutes to a client taking a few bytes a
     * second, the gateway's memory held all the while).
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST"})
    void anAnswerGivenUpResetsItsClient(String method) throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 1, upstream_dial: 8s}\n");
                java.net.Socket unread = holdingBig(gateway, method, 1)) {

            assertThat(gateway.send(TestGateway.request(
                                    method, gateway.uri("/after"), method.equals("POST") ? "x" : ""))
                            .statusCode())
                    .isEqualTo(200);

            java.io.InputStream in = unread.getInputStream();
            byte[] piece = new byte[64 * 1024];
            assertThatThrownBy(() -> {
                        while (in.read(piece) >= 0) {
                            // what came before the reset
                        }
                    })
                    .isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    /**
     * A connection with a receive buffer of {@code receiveBytes} (the kernel's least, or most, where
     * asked past it) that has asked {@code method} {@code /big} (a POST with a byte of body) and reads
     * nothing, once its answer holds the pool's one connection and the upstream sends no more.
     */
    private java.net.Socket holdingBig(TestGateway gateway, String method, int receiveBytes)
            throws java.io.IOException {
        String ask = method + " /big HTTP/1.1\r\nHost: a\r\n"
                + (method.equals("POST") ? "Content-Length: 1\r\n\r\nx" : "\r\n");
        java.net.Socket socket = new java.net.Socket();
        socket.setReceiveBufferSize(receiveBytes);
        socket.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), gateway.port()));
        socket.getOutputStream().write(ask.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        awaitSeen(1);
        TestGateway.awaitStill(upstream::bigSent, TestUpstream.BIG_BYTES);
        return socket;
    }

    /**
     * Reads {@code reader}'s answer of {@code bytes} bytes in bursts of {@code burstBytes}, {@code
     * pauseMillis} apart (counted in {@code bursts}) until told to go {@code fast}; returns how many
     * bytes of its body came before it ended (-1: no 200).
     */
    private static long readInBursts(
            RawConnection reader,
            int bytes,
            int burstBytes,
            long pauseMillis,
            java.util.concurrent.atomic.AtomicInteger bursts,
            java.util.concurrent.atomic.AtomicBoolean fast)
            throws java.io.IOException, InterruptedException {
        java.io.InputStream in = reader.input();
        if (!headRead(in).startsWith("HTTP/1.1 200")) {
            return -1;
        }
        byte[] piece = new byte[16 * 1024];
        long got = 0;
        long burst = 0;
        while (got < bytes) {
            int n = in.read(piece);
            if (n < 0) {
                break; // cut off
            }
            got += n;
            burst += n;
            if (burst >= burstBytes && !fast.get()) {
                burst = 0;
                bursts.incrementAndGet();
                Thread.sleep(pauseMillis);
            }
        }
        return got;
    }

    /** Reads an answer's head off {@code in}, to the blank line after it (what came, if it closed before). */
    private static String headRead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        int ends = 0; // of the head: the "\r\n\r\n" seen so far
        while (ends < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
            ends = (b == '\r' || b == '\n') && (ends % 2 == 0) == (b == '\r') ? ends + 1 : 0;
        }
        return head.toString();
    }

    /**
     * The same over HTTP/2 (Vert.x's path and its pool): streams that open no window hold none of the
     * pool's connections for long, and what they hold together is bounded by the pool: an answer
     * holds its upstream connection while it is relayed, so answers beyond the pool's bound wait for
     * one and hold nothing.
     */
    @Test
    void http2StreamsThatOpenNoWindowDoNotKeepOthersFromTheUpstreamConnections() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 2, upstream_dial: 8s}\n")) {
            Vertx vertx = Vertx.vertx();
            try {
                var unread =
                        vertx.httpClientBuilder().with(h2cOpeningNoWindow()).build();
                for (int i = 0; i < 4; i++) {
                    unread.request(get(gateway, "/big"))
                            .compose(request -> request.send())
                            .onSuccess(answer -> answer.exceptionHandler(reset -> {})); // given up: expected
                }
                awaitSeen(2);
                TestGateway.awaitCondition(() -> held(gateway) >= 2L * AnswerBudget.ANSWER_BYTES);
                assertThat(held(gateway))
                        .as("two answers, each its bound and a read of the upstream's past it")
                        .isLessThanOrEqualTo(2L * (AnswerBudget.ANSWER_BYTES + 64 * 1024));

                var reader = vertx.httpClientBuilder().with(h2c()).build();

                assertThat(h2Answer(reader, gateway, HttpMethod.GET, "/after", MultiMap.caseInsensitiveMultiMap()))
                        .isEqualTo("200 upstream /base/after");
                assertThat(metric(gateway, "gatehouse_answers_given_up_total")).isPositive();
                assertThat(metrics(gateway)).contains("outcome=\"backend_error\"} 0.0");
                java.lang.ref.Reference.reachabilityFence(unread); // Vert.x closes a client no longer reachable
                java.lang.ref.Reference.reachabilityFence(reader);
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * An HTTP/2 client that opens wide windows and then reads nothing off its connection (its socket,
     * not its streams: no reset can reach it) holds the pool no longer than one that opens none: an
     * attacker's probe found its answers counted as given up and the upstream connections still held.
     */
    @Test
    void anHttp2ConnectionLeftUnreadDoesNotKeepOthersFromTheUpstreamConnections() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 2, upstream_dial: 8s}\n");
                RawConnection unread = RawConnection.open(gateway.port())) {
            java.io.ByteArrayOutputStream frames = new java.io.ByteArrayOutputStream();
            frames.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            frames.writeBytes(
                    h2Frame(4, 0, 0, new byte[] {0, 4, 0x7f, -1, -1, -1})); // SETTINGS: streams' window 2^31-1
            frames.writeBytes(h2Frame(8, 0, 0, new byte[] {0x7f, -1, 0, 0})); // WINDOW_UPDATE: the connection's, wide
            for (int stream = 1; stream <= 3; stream += 2) { // GET /big, HPACK by hand: no dynamic table
                frames.writeBytes(h2Frame(
                        1, 0x5, stream, new byte[] {(byte) 0x82, (byte) 0x86, 0x04, 4, '/', 'b', 'i', 'g', 0x01, 1, 'a'
                        }));
            }
            unread.send(frames.toByteArray());
            awaitSeen(2);
            TestGateway.awaitStill(upstream::bigSent, 2L * TestUpstream.BIG_BYTES); // its socket is full

            Vertx vertx = Vertx.vertx();
            try {
                var client = vertx.httpClientBuilder().with(h2c()).build();

                assertThat(h2Answer(client, gateway, HttpMethod.GET, "/after", MultiMap.caseInsensitiveMultiMap()))
                        .isEqualTo("200 upstream /base/after");
                assertThat(metrics(gateway)).contains("outcome=\"backend_error\"} 0.0");
                java.lang.ref.Reference.reachabilityFence(client); // Vert.x closes a client no longer reachable
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** An HTTP/2 frame: its 9-byte head and {@code payload}. */
    private static byte[] h2Frame(int type, int flags, int stream, byte[] payload) {
        java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(9 + payload.length);
        frame.put((byte) (payload.length >>> 16))
                .put((byte) (payload.length >>> 8))
                .put((byte) payload.length);
        frame.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        return frame.array();
    }

    /**
     * Answers a client leaves unread on its HTTP/2 connection (a paused video, a stream it no longer
     * wants) do not hold back the one it reads there (an attacker's probe: with a bound on what a
     * connection's answers hold together, eight answers left unread stopped the others for good).
     */
    @Test
    void answersLeftUnreadDoNotHoldBackTheOneReadOnTheSameConnection() throws Exception {
        int unread = 16;
        int bytes = 4 * 1024 * 1024;
        try (TestGateway gateway = gateway("")) {
            Vertx vertx = Vertx.vertx();
            try {
                var client = vertx.httpClientBuilder()
                        .with(h2c().setHttp2ConnectionWindowSize(
                                        1 << 30)) // unread answers fill their streams' windows only
                        .build();
                RequestOptions big = get(gateway, "/big");
                for (int i = 0; i < unread; i++) {
                    client.request(big).compose(request -> request.send()).onSuccess(answer -> {
                        answer.exceptionHandler(ignored -> {}); // the test's side, cut at its close
                        answer.pause();
                    });
                }
                awaitSeen(unread);
                TestGateway.awaitStill(upstream::bigSent, Long.MAX_VALUE); // the upstream no longer sends

                long read = client.request(new RequestOptions(big).setURI("/big?bytes=" + bytes))
                        .compose(request -> request.send())
                        .compose(answer -> answer.body())
                        .map(body -> (long) body.length())
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(20, TimeUnit.SECONDS);

                assertThat(read).isEqualTo(bytes);
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The length of {@code answer}'s body, read with a pause of a millisecond every 16 pieces. */
    private static io.vertx.core.Future<Long> readInFits(Vertx vertx, HttpClientResponse answer) {
        io.vertx.core.Promise<Long> read = io.vertx.core.Promise.promise();
        long[] length = {0};
        int[] pieces = {0};
        answer.handler(piece -> {
            length[0] += piece.length();
            if (++pieces[0] % 16 == 0) {
                answer.pause();
                vertx.setTimer(1, t -> answer.resume());
            }
        });
        answer.exceptionHandler(read::tryFail);
        answer.endHandler(end -> read.tryComplete(length[0]));
        return read.future();
    }

    private static long held(TestGateway gateway) {
        return metric(gateway, "gatehouse_answers_held_bytes");
    }

    /** The value of the admin listener's metric {@code name} (one without labels). */
    private static long metric(TestGateway gateway, String name) {
        return metrics(gateway)
                .lines()
                .filter(line -> line.startsWith(name + " "))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
    }

    /** A Content-Length that is no number: 400 naming it over HTTP/1.1, the stream reset over HTTP/2. */
    @Test
    void aContentLengthThatIsNoNumberIsRefused() throws Exception {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains("Content-Length value is not a number: abc");
            }
            withHttp2Client(client -> assertThatThrownBy(() -> h2Answer(
                            client,
                            gateway,
                            HttpMethod.GET,
                            "/x",
                            MultiMap.caseInsensitiveMultiMap().add("Content-Length", "abc")))
                    .hasRootCauseInstanceOf(io.vertx.core.http.StreamResetException.class));
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aBodyDeclaredLongerThanTheBoundIsRefused413AtOnce() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 3000000000\r\n\r\n")
                        .readUntilClosed(); // no byte of the body sent: the answer must not wait for one

                assertThat(RawConnection.status(answer)).isEqualTo(413);
                assertThat(answer).contains("request body too large: 3000000000 bytes (expected: <= 2147483647)");
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aDoublyEscapedPathIsRefused() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET /%252e%252e/admin HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains("escaped escape");
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "/public/%c0%ae%c0%ae/admin, overlong UTF-8 escape",
        "/admin%00.png, escaped control character",
        "/x%0d%0aSet-Cookie:%20a=b, escaped control character",
        "/%25%36%31dmin, escaped escape",
        "/%6%31dmin, escaped escape",
        "/%u0061dmin, IIS escape",
        "//x/admin, two slashes",
        "/%5C%5Cx%5Cadmin, two slashes"
    })
    void aPathWhoseEscapesSomeUpstreamReadsOtherwiseIsRefused(String path, String named) {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains(named);
            }
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET /caf%c3%a9?q=a%0Ab HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readAnswers(1);

                assertThat(RawConnection.status(answer))
                        .as("a well-formed escape in the path, a control character in the query")
                        .isEqualTo(200);
            }
            assertThat(upstream.seen()).extracting(TestUpstream.Seen::uri).containsExactly("/base/caf%c3%a9?q=a%0Ab");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET http://evil/x HTTP/1.1", "OPTIONS * HTTP/1.1", "GET abc HTTP/1.1"})
    void aTargetThatIsNoPathIsRefused(String requestLine) {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer =
                        connection.send(requestLine + "\r\nHost: a\r\n\r\n").readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void connectIsRefusedAndTheNextRequestIsNotReadAsItsTunnel() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(405);
                assertThat(answer).contains("CONNECT is not proxied");
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aHostThatIsNoHostIsRefused() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET / HTTP/1.1\r\nHost: a b/c@d\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(400);
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aBodySentWithAnH2cUpgradeReachesTheUpstream() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("POST /h2c HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                + "HTTP2-Settings: AAMAAABkAAQAAP__\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "3\r\nabc\r\n0\r\n\r\n")
                        .readAnswers(1);

                assertThat(RawConnection.status(answer))
                        .as("switched to HTTP/2, the body on stream 1")
                        .isEqualTo(101);
                awaitSeen(1);
            }
            assertThat(upstream.last().body()).isEqualTo("abc");
        }
    }

    /*
     * Only a WebSocket is passed on: a switch to a protocol that carries requests (h2c, TLS), passed
     * to an upstream that made it, would take every request after it past the pipeline. The first
     * request of a connection is the h2c handler's (which takes Upgrade: h2c alone), so each case
     * also comes first, with a keep-alive request after it on the same connection.
     */
    @ParameterizedTest
    @CsvSource({
        "h2c, 'Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__', true",
        "h2c, Upgrade, true",
        "'websocket, h2c', 'Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__', false",
        "'websocket, H2C', Upgrade, false",
        "TLS/1.2, Upgrade, false",
        "h2c-14, Upgrade, false"
    })
    void noUpgradeButAWebSocketIsPassedOn(String upgrade, String connection, boolean h2cHandlersOwnOnAFirstRequest) {
        String smuggle = "GET /smuggle HTTP/1.1\r\nHost: a\r\nUpgrade: " + upgrade + "\r\nConnection: " + connection
                + "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        try (TestGateway gateway = gateway("")) {
            try (RawConnection client = RawConnection.open(gateway.port())) {
                String answers = client.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n" + smuggle
                                + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readAnswers(3);

                assertThat(answers)
                        .doesNotContain(" 101 ")
                        .contains("upstream /base/smuggle")
                        .endsWith("upstream /base/after");
            }
            if (!h2cHandlersOwnOnAFirstRequest) {
                try (RawConnection client = RawConnection.open(gateway.port())) {
                    String answers = client.send(smuggle + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
                            .readAnswers(2);

                    assertThat(answers)
                            .doesNotContain(" 101 ")
                            .contains("upstream /base/smuggle")
                            .endsWith("upstream /base/after");
                }
            }
            assertThat(upstream.seen())
                    .allSatisfy(seen ->
                            assertThat(seen.headers().contains("Upgrade")).isFalse());
        }
    }

    /** The framing is the gateway's own to set: a Connection header naming it drops neither it nor the body. */
    @ParameterizedTest
    @ValueSource(strings = {"Content-Length, close", "Content-Length", "content-length, Host"})
    void aConnectionHeaderNamingTheBodysLengthLosesNoBody(String connection) {
        try (CapturedLog log = CapturedLog.start();
                TestGateway gateway = gateway("")) {
            try (RawConnection client = RawConnection.open(gateway.port())) {
                String answer = client.send("POST /length HTTP/1.1\r\nHost: a\r\nConnection: " + connection
                                + "\r\nContent-Length: 5\r\n\r\nhello")
                        .readAnswers(1);

                assertThat(RawConnection.status(answer)).isEqualTo(200);
            }
            assertThat(upstream.last().body()).isEqualTo("hello");
            log.assertNoErrorOrStackTrace();
        }
    }

    /** Firefox asks for a WebSocket with {@code Connection: keep-alive, Upgrade}. */
    @Test
    void aWebSocketWhoseConnectionListsMoreThanUpgradeIsPassedOn() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection client = RawConnection.open(gateway.port())) {
                String answer = client.send("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                                + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                + "Sec-WebSocket-Version: 13\r\n\r\n")
                        .readAnswers(1);

                assertThat(RawConnection.status(answer)).isEqualTo(101);
                assertThat(answer).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); // RFC 6455's accept for this key
            }
        }
    }

    @Test
    void anHttp2BodyOfUnknownLengthReachesTheUpstream() throws Exception {
        try (TestGateway gateway = gateway("")) {
            withHttp2Client(client -> {
                HttpClientResponse response = client.request(new RequestOptions()
                                .setMethod(HttpMethod.POST)
                                .setHost("127.0.0.1")
                                .setPort(gateway.port())
                                .setURI("/h2"))
                        .compose(request -> {
                            request.setChunked(true);
                            request.write("part one, ");
                            request.end("part two");
                            return request.response();
                        })
                        .compose(
                                answer -> answer.body().map(body -> answer)) // read to its end before the client closes
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);

                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(upstream.last().body()).isEqualTo("part one, part two");
            });
        }
    }

    @Test
    void anHttp10ClientIsAnsweredWithoutChunking() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection.send("GET /old HTTP/1.0\r\n\r\n").readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(200);
                assertThat(answer).endsWith("upstream /base/old").doesNotContainIgnoringCase("transfer-encoding");
            }
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection.send("GET /chunked HTTP/1.0\r\n\r\n").readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(200);
                assertThat(answer)
                        .as("ended by closing the connection")
                        .endsWith("\r\n\r\npart one, part two")
                        .doesNotContainIgnoringCase("transfer-encoding");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/truncate", "/truncate-chunked"})
    void anAnswerTheUpstreamBreaksOffIsNeverPassedOnAsWhole(String path) {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(200);
                assertThat(connection.closedByServer())
                        .as("the connection ends with the broken answer")
                        .isTrue();
                assertThat(answer).doesNotEndWith("0\r\n\r\n"); // no last chunk: the client sees it unfinished
            }
        }
    }

    @Test
    void expectContinueIsAnsweredHereAndTheBodyReachesTheUpstream() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String interim = new String(
                        connection
                                .send(
                                        "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                                .readBytes("HTTP/1.1 100 Continue\r\n\r\n".length()),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(interim).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");

                String answer = connection.send("hello").readAnswers(1);

                assertThat(answer).contains("HTTP/1.1 200");
            }
            assertThat(upstream.last().body()).isEqualTo("hello");
            assertThat(upstream.last().headers().contains("Expect")).isFalse();
        }
    }

    @Test
    void aFullConnectionPoolShedsWithoutBlamingTheUpstream() {
        try (TestGateway gateway = gateway("""
                timeouts: {upstream_max_conns: 1}
                circuit_breaker: {min_samples: 1, cooldown: 1h}
                """)) {
            List<RawConnection> calls = new java.util.ArrayList<>();
            try {
                // one holds the only connection, sixteen wait for it, the rest find no room
                for (int i = 0; i < 20; i++) {
                    calls.add(RawConnection.open(gateway.port()).send("GET /hang HTTP/1.1\r\nHost: a\r\n\r\n"));
                }
                // those that found no room are shed (503, as the adaptive limit sheds), not counted as failures
                TestGateway.awaitCondition(
                        () -> !metrics(gateway).contains("gatehouse_requests_total{outcome=\"shed\"} 0.0"));

                assertThat(metrics(gateway))
                        .as("the breaker stays closed")
                        .contains("gatehouse_breaker_state 0.0")
                        .contains("gatehouse_requests_total{outcome=\"backend_error\"} 0.0");
            } finally {
                calls.forEach(RawConnection::close);
            }
        }
    }

    @Test
    void aWebSocketIsRefusedWith503WhileTheBreakerIsOpen() throws Exception {
        upstream.answerWith(500);
        try (TestGateway gateway = gateway("circuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            gateway.get("/trip");

            var refused = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/chat"), new WebSocket.Listener() {})
                    .handle((socket, failure) -> failure)
                    .get(10, TimeUnit.SECONDS);

            assertThat(refused).hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class);
            var handshake = (java.net.http.WebSocketHandshakeException) refused.getCause();
            assertThat(handshake.getResponse().statusCode()).isEqualTo(503);
        }
    }

    @Test
    void anIdleWebSocketIsClosedAtTheIdleTimeout() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {idle: 300ms}\n")) {
            WebSocket socket = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/chat"), new WebSocket.Listener() {})
                    .get(10, TimeUnit.SECONDS);

            TestGateway.awaitCondition(socket::isInputClosed);
        }
    }

    @Test
    void openWebSocketsNeverTakeTheRequestsConnections() throws Exception {
        try (TestGateway gateway = gateway("timeouts: {upstream_max_conns: 1}\n")) {
            WebSocket socket = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/chat"), new WebSocket.Listener() {})
                    .get(10, TimeUnit.SECONDS);

            assertThat(gateway.get("/while-a-tunnel-lives").statusCode()).isEqualTo(200);
            socket.abort();
        }
    }

    @Test
    void anUpgradeHeaderWithoutAnUpgradeIsDroppedAndTheRequestProxied() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("POST /x HTTP/1.1\r\nHost: a\r\nUpgrade: foo\r\nContent-Length: 5\r\n\r\nhello")
                        .readAnswers(1);

                assertThat(RawConnection.status(answer)).isEqualTo(200);
            }
            assertThat(upstream.last().body()).isEqualTo("hello");
            assertThat(upstream.last().headers().contains("Upgrade")).isFalse();
        }
    }

    @Test
    void aKeepAliveHttp10ClientGetsAnAnswerOfUnknownLengthEndedByTheClose() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                        .readUntilClosed();

                assertThat(answer).endsWith("part one, part two");
                assertThat(connection.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void anExpectationOtherThanContinueIs417() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("POST /x HTTP/1.1\r\nHost: a\r\nExpect: foo\r\nContent-Length: 5\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(417);
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void anInterimAnswerInPlaceOfTheAnswerIs502() throws Exception {
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread answering = Thread.ofVirtual().start(() -> {
                try (java.net.Socket socket = raw.accept()) {
                    socket.getInputStream().read(new byte[4096]);
                    socket.getOutputStream()
                            .write(("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"
                                            + "Content-Length: 2\r\n\r\nok")
                                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    socket.getInputStream().read(new byte[4096]); // until the gateway hangs up
                } catch (java.io.IOException e) {
                    // the gateway reset the connection: expected
                }
            });
            try (TestGateway gateway = TestGateway.start("upstream: http://127.0.0.1:" + raw.getLocalPort() + "\n")) {
                assertThat(gateway.get("/interim").statusCode()).isEqualTo(502);
            }
            answering.join(10_000);
        }
    }

    /*
     * An upstream that switches to anything (a 101 with no WebSocket accept) and then reads HTTP on
     * the connection would take every request after the switch past the pipeline: such a switch is
     * answered 502 and its connection closed, and an upgrade without the WebSocket handshake's key is
     * no upgrade at all.
     */
    @ParameterizedTest
    @CsvSource({
        "'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n', 502, true",
        "'', 200, false",
        "'Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n', 200, false",
        "'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n', 200, false",
        "'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n', 200, false"
    })
    void aSwitchThatIsNoWebSocketIsNeverTunnelled(String handshake, int status, boolean upgradeSeen) throws Exception {
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<String> seen = new java.util.concurrent.CompletableFuture<>();
            Thread answering = Thread.ofVirtual().start(() -> {
                try (java.net.Socket socket = raw.accept()) {
                    byte[] head = new byte[4096];
                    int n = socket.getInputStream().read(head);
                    String asked = new String(head, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.ISO_8859_1)
                            .toLowerCase(Locale.ROOT);
                    seen.complete(asked);
                    String answer = asked.contains("upgrade: websocket")
                            ? "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain";
                    socket.getOutputStream().write(answer.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    socket.getInputStream().read(new byte[4096]); // until the gateway hangs up
                } catch (java.io.IOException e) {
                    // the gateway closed the connection: expected
                }
            });
            try (TestGateway gateway = TestGateway.start("upstream: http://127.0.0.1:" + raw.getLocalPort() + "\n");
                    RawConnection client = RawConnection.open(gateway.port())) {
                String answer = client.send(
                                "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                        + handshake + "\r\n")
                        .readAnswers(1);

                assertThat(RawConnection.status(answer)).isEqualTo(status);
                String asked = seen.get(10, TimeUnit.SECONDS);
                assertThat(asked.contains("upgrade: websocket")).as(asked).isEqualTo(upgradeSeen);
            }
            answering.join(10_000);
        }
    }

    @Test
    void theUpstreamsHopByHopHeadersStayOnItsHop() {
        try (TestGateway gateway = gateway("")) {
            var response = gateway.get("/hop");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Upstream-Secret")).isEmpty();
            assertThat(response.headers().firstValue("Connection")).isEmpty();
        }
    }

    @Test
    void theClientsHopByHopHeadersStayOnItsHop() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send("GET /seen HTTP/1.1\r\nHost: a\r\nX-Kept: 1\r\nconnection: x-client-secret ,, Close\r\n"
                                + "X-Client-Secret: 2\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
                                + "Proxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(200);
            }
            MultiMap seen = upstream.last().headers();
            assertThat(seen.get("X-Kept")).isEqualTo("1");
            assertThat(seen.names())
                    .map(name -> name.toLowerCase(Locale.ROOT))
                    .doesNotContain("x-client-secret", "keep-alive", "te", "proxy-authorization", "proxy-connection")
                    .contains("x-forwarded-for", "host");
            assertThat(seen.getAll("Connection"))
                    .allSatisfy(value -> assertThat(value).doesNotContainIgnoringCase("secret"));
        }
    }

    @Test
    void anyCaseOfChunkedIsReadAndACloseAmongConnectionTokensIsHonoured() {
        try (TestGateway gateway = gateway("")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                String answer = connection
                        .send(
                                "POST /te HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\nTransfer-Encoding: CHUNKED\r\n\r\n"
                                        + "3\r\nabc\r\n0\r\n\r\n")
                        .readUntilClosed();

                assertThat(RawConnection.status(answer)).isEqualTo(200);
                assertThat(connection.closedByServer()).isTrue();
            }
            assertThat(upstream.last().body()).isEqualTo("abc");
        }
    }

    @Test
    void theBreakersRefusalIsPlainText() {
        upstream.answerWith(500);
        try (TestGateway gateway = gateway("circuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            gateway.get("/");

            var refused = gateway.get("/");

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        }
    }

    @Test
    void aSilentConnectionIsClosedAtTheHeaderTimeout() {
        try (TestGateway gateway = gateway("timeouts: {read_header: 200ms}\n")) {
            try (RawConnection connection = RawConnection.open(gateway.port())) {
                connection.readUntilClosed();

                assertThat(connection.closedByServer()).isTrue();
            }
        }
    }

    private static String metrics(TestGateway gateway) {
        return gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""))
                .body();
    }

    private void awaitSeen(int count) {
        TestGateway.awaitCondition(() -> upstream.seen().size() >= count);
    }
}
