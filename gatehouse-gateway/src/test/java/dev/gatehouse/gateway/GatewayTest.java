package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Stages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Wicket's own test cases, black-box against a started gateway and a real upstream, and what the
 * gateway adds to them (tokens that gate the queue, metrics off the public listener, 502 and 504).
 */
final class GatewayTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestUpstream upstream;

    @BeforeEach
    void startUpstream() {
        upstream = TestUpstream.start();
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    private String base() {
        return "upstream: " + upstream.url() + "\n";
    }

    @Test
    void passesRequestsThroughWithTheForwardingHeaders() {
        try (TestGateway gateway = TestGateway.start(base())) {
            String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            HttpResponse<String> response =
                    gateway.get("/hello?x=1", "X-Forwarded-For", "203.0.113.9", "traceparent", traceparent);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("upstream /hello?x=1");
            TestUpstream.Seen seen = upstream.last();
            assertThat(seen).isNotNull();
            assertThat(seen.headers().get("X-Forwarded-For")).isEqualTo("203.0.113.9, 127.0.0.1");
            assertThat(seen.headers().get("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + gateway.port());
            assertThat(seen.headers().get("Host"))
                    .as("the client's Host, as Wicket keeps it")
                    .isEqualTo("127.0.0.1:" + gateway.port());
            assertThat(seen.headers().get("X-Forwarded-Proto")).isEqualTo("http");
            assertThat(seen.headers().get("traceparent"))
                    .as("tracing off: unchanged")
                    .isEqualTo(traceparent);
        }
    }

    @Test
    void streamsARequestBodyToTheUpstream() {
        try (TestGateway gateway = TestGateway.start(base())) {
            String body = "x".repeat(100_000); // far past the admin API's 8 KiB: proxied bodies are not bounded by it

            HttpResponse<String> response = gateway.post("/upload", body);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(upstream.last().body()).isEqualTo(body);
        }
    }

    @Test
    void putsThePathUnderTheUpstreamsPath() {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "/api/\n")) {
            assertThat(gateway.get("/items/1").body()).isEqualTo("upstream /api/items/1");
        }
    }

    @Test
    void rpsTwoAnswers429WithinSixRequests() {
        try (TestGateway gateway = TestGateway.start(base() + "rate_limit: {rps: 2}\n")) {
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                responses.add(gateway.get("/"));
            }

            HttpResponse<String> limited = responses.stream()
                    .filter(r -> r.statusCode() == 429)
                    .findFirst()
                    .orElseThrow();
            assertThat(limited.body()).isEqualTo("rate limit exceeded\n");
            assertThat(limited.headers().firstValue("Content-Type")).hasValue("text/plain; charset=UTF-8");
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
        }
    }

    @Test
    void twoUpstreamFailuresTripTheBreakerAndTheNextRequestGets503() {
        upstream.answerWith(500);
        try (TestGateway gateway =
                TestGateway.start(base() + "circuit_breaker: {failure_ratio: 0.5, min_samples: 2, cooldown: 1h}\n")) {
            assertThat(gateway.get("/").statusCode()).isEqualTo(500);
            assertThat(gateway.get("/").statusCode()).isEqualTo(500);

            HttpResponse<String> refused = gateway.get("/");

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).isEqualTo("service temporarily unavailable\n");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(upstream.seen())
                    .as("the third never reached the upstream")
                    .hasSize(2);
        }
    }

    @Test
    void aChallengeSolvedByBruteForceIsAcceptedOnce() throws Exception {
        try (TestGateway gateway =
                TestGateway.start(base() + "pow: {enabled: true, base_difficulty: 8, max_difficulty: 8}\n")) {
            HttpResponse<String> issued = gateway.post("/__gatehouse__/challenge", "");
            assertThat(issued.statusCode()).isEqualTo(200);
            assertThat(issued.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode challenge = JSON.readTree(issued.body());
            assertThat(challenge.get("payload").asText()).hasSize(32);
            assertThat(challenge.get("difficulty").asInt()).isEqualTo(8);
            assertThat(challenge.get("expires_at").asLong())
                    .isBetween(System.currentTimeMillis() / 1000 + 290, System.currentTimeMillis() / 1000 + 310);
            String nonce = solve(challenge.get("payload").asText(), 8);
            String solution = "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}";

            HttpResponse<String> solved = gateway.post("/__gatehouse__/solve", solution);

            assertThat(solved.statusCode()).isEqualTo(200);
            assertThat(solved.body()).isEqualTo("{\"ok\":true}\n");
            HttpResponse<String> again = gateway.post("/__gatehouse__/solve", solution);
            assertThat(again.statusCode()).isEqualTo(401);
            assertThat(again.body()).isEqualTo("{\"ok\":false}\n");
        }
    }

    @Test
    void challengesGetAsHardAsTheMaximumWhileTheBreakerIsOpen() throws Exception {
        upstream.answerWith(500);
        try (TestGateway gateway = TestGateway.start(base() + """
                pow: {enabled: true, base_difficulty: 8, max_difficulty: 20}
                circuit_breaker: {min_samples: 1, cooldown: 1h}
                """)) {
            assertThat(JSON.readTree(
                                    gateway.post("/__gatehouse__/challenge", "").body())
                            .get("difficulty")
                            .asInt())
                    .isEqualTo(8);
            gateway.get("/");

            assertThat(JSON.readTree(
                                    gateway.post("/__gatehouse__/challenge", "").body())
                            .get("difficulty")
                            .asInt())
                    .as("load 1: the breaker is open")
                    .isEqualTo(20);
        }
    }

    @Test
    void aWrongNonceIs401AndOddHexIs400() throws Exception {
        try (TestGateway gateway = TestGateway.start(base() + "pow: {enabled: true, base_difficulty: 30}\n")) {
            String id = JSON.readTree(
                            gateway.post("/__gatehouse__/challenge", "").body())
                    .get("id")
                    .asText();

            HttpResponse<String> wrong =
                    gateway.post("/__gatehouse__/solve", "{\"id\":\"" + id + "\",\"nonce\":\"00\"}");
            HttpResponse<String> odd =
                    gateway.post("/__gatehouse__/solve", "{\"id\":\"" + id + "\",\"nonce\":\"abc\"}");
            HttpResponse<String> notHex =
                    gateway.post("/__gatehouse__/solve", "{\"id\":\"" + id + "\",\"nonce\":\"zz\"}");

            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).isEqualTo("{\"ok\":false}\n");
            assertThat(odd.statusCode()).isEqualTo(400);
            assertThat(odd.body()).isEqualTo("{\"error\":\"bad nonce\"}\n");
            assertThat(notHex.statusCode()).isEqualTo(400);
        }
    }

    @Test
    void anEnqueuedTicketHasAPositionAndAnUnknownOneIs404() throws Exception {
        try (TestGateway gateway = TestGateway.start(base() + "queue: {type: fifo}\n")) {
            JsonNode first =
                    JSON.readTree(gateway.post("/__gatehouse__/enqueue", "").body());
            HttpResponse<String> enqueued = gateway.post("/__gatehouse__/enqueue", "");
            JsonNode second = JSON.readTree(enqueued.body());
            assertThat(enqueued.statusCode()).isEqualTo(200);
            assertThat(second.get("ticket_id").asText()).matches("[0-9a-f]{24}");
            assertThat(second.get("issued").asLong())
                    .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));

            HttpResponse<String> byGet = gateway.get(
                    "/__gatehouse__/status?ticket=" + second.get("ticket_id").asText());
            HttpResponse<String> byPost = gateway.post(
                    "/__gatehouse__/status",
                    "{\"ticket_id\":\"" + first.get("ticket_id").asText() + "\"}");

            assertThat(byGet.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(byGet.body()))
                    .isEqualTo(JSON.readTree(
                            "{\"ticket_id\":\"" + second.get("ticket_id").asText()
                                    + "\",\"position\":2,\"cursor\":0,\"ahead\":1,\"admitted\":false}"));
            assertThat(JSON.readTree(byPost.body()).get("position").asLong()).isEqualTo(1);
            HttpResponse<String> unknown = gateway.get("/__gatehouse__/status?ticket=0123456789abcdef01234567");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).isEqualTo("{\"error\":\"unknown ticket\"}\n");
            TestGateway.awaitCondition(() -> gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""))
                    .body()
                    .contains("gatehouse_queue_size 2.0")); // the admission round's count, a second old at most
            HttpResponse<String> missing = gateway.get("/__gatehouse__/status");
            assertThat(missing.statusCode()).isEqualTo(400);
            assertThat(missing.body()).isEqualTo("{\"error\":\"ticket required\"}\n");
        }
    }

    @Test
    void theOperatorAdvancesTheQueueOnThePrivateListener() throws Exception {
        try (TestGateway gateway = TestGateway.start(base() + "queue: {type: fifo}\n")) {
            List<String> tickets = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                tickets.add(
                        JSON.readTree(gateway.post("/__gatehouse__/enqueue", "").body())
                                .get("ticket_id")
                                .asText());
            }

            HttpResponse<String> advanced =
                    gateway.send(TestGateway.request("POST", gateway.admin("/queue/advance?n=2"), ""));

            assertThat(advanced.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(advanced.body()).get("cursor").asLong()).isEqualTo(2);
            assertThat(JSON.readTree(advanced.body()).get("size").asLong()).isEqualTo(1);
            assertThat(JSON.readTree(gateway.get("/__gatehouse__/status?ticket=" + tickets.get(0))
                                    .body())
                            .get("admitted")
                            .asBoolean())
                    .isTrue();
            TestGateway.awaitCondition(() -> gateway.get("/__gatehouse__/status?ticket=" + tickets.get(2))
                    .body()
                    .contains("\"position\":3,\"cursor\":2,\"ahead\":0")); // the cursor the last round counted
            assertThat(gateway.send(TestGateway.request("POST", gateway.admin("/queue/advance?n=0"), ""))
                            .statusCode())
                    .isEqualTo(400);
            assertThat(gateway.send(TestGateway.request("GET", gateway.admin("/queue"), ""))
                            .body())
                    .contains("\"size\":1,\"registered\":0,\"cursor\":2");
            assertThat(gateway.post("/queue/advance?n=2", "").body())
                    .as("not on the public listener: proxied")
                    .isEqualTo("upstream /queue/advance?n=2");
        }
    }

    @Test
    void everyAdminEndpointIs404WhenItsComponentIsOffAndTheMethodIsCheckedFirst() {
        try (TestGateway gateway = TestGateway.start(base())) {
            assertError(gateway.post("/__gatehouse__/challenge", ""), 404, "challenger not configured");
            assertError(gateway.post("/__gatehouse__/solve", "{}"), 404, "challenger not configured");
            assertError(gateway.post("/__gatehouse__/enqueue", ""), 404, "queue not configured");
            assertError(gateway.get("/__gatehouse__/status?ticket=x"), 404, "queue not configured");
            assertError(gateway.post("/__gatehouse__/status", "{}"), 404, "queue not configured");

            assertError(gateway.get("/__gatehouse__/challenge"), 405, "method not allowed");
            assertError(gateway.get("/__gatehouse__/solve"), 405, "method not allowed");
            assertError(gateway.get("/__gatehouse__/enqueue"), 405, "method not allowed");
            assertError(gateway.send("DELETE", "/__gatehouse__/status"), 405, "method not allowed");
            assertThat(upstream.seen())
                    .as("admin routes never reach the upstream")
                    .isEmpty();
        }
    }

    @Test
    void aThousandConcurrentRequestsAgainstBurstFiftyOnAFrozenClockAdmitExactlyFifty() {
        ManualClock frozen = new ManualClock();
        try (TestGateway gateway = TestGateway.start(base() + "rate_limit: {rps: 1, burst: 50}\n", frozen)) {
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                calls.add(gateway.getAsync("/"));
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();

            long admitted =
                    calls.stream().filter(c -> c.join().statusCode() == 200).count();
            long limited =
                    calls.stream().filter(c -> c.join().statusCode() == 429).count();
            assertThat(admitted).isEqualTo(50);
            assertThat(limited).isEqualTo(950);
            assertThat(upstream.seen()).hasSize(50);
        }
    }

    /** Proof of work, a queue, and tokens required to join it. */
    private static final String TOKENS_REQUIRED = """
            pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
            queue: {type: fifo}
            admission: {required: true, secret: 0123456789abcdef0123456789abcdef}
            """;

    @Test
    void withAdmissionRequiredEnqueueSpendsATokenFromSolveOnce() throws Exception {
        try (TestGateway gateway = TestGateway.start(base() + TOKENS_REQUIRED)) {
            assertError(gateway.post("/__gatehouse__/enqueue", ""), 401, "admission token required");
            assertError(
                    gateway.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", "forged"),
                    401,
                    "invalid admission token");
            String token = solvedToken(gateway);

            HttpResponse<String> enqueued = gateway.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", token);

            assertThat(enqueued.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(enqueued.body()).get("ticket_id").asText()).hasSize(24);
            assertError(
                    gateway.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", token),
                    401,
                    "admission token already used");
            assertThat(gateway.post("/__gatehouse__/enqueue", "", "X-Wicket-Token", solvedToken(gateway))
                            .statusCode())
                    .as("Wicket's header, for drop-in clients")
                    .isEqualTo(200);
        }
    }

    @Test
    void anAdmissionTokenIsSpentOnlyByTheClientItWasMintedFor() throws Exception {
        try (TestGateway gateway =
                TestGateway.start(base() + TOKENS_REQUIRED + "identity: {from: header, name: X-Client}\n")) {
            String mine = solvedToken(gateway, "a");

            assertError(
                    gateway.post("/__gatehouse__/enqueue", "", "X-Gatehouse-Token", mine, "X-Client", "b"),
                    401,
                    "admission token is another client's");
            assertThat(gateway.post(
                                    "/__gatehouse__/enqueue",
                                    "",
                                    "X-Gatehouse-Token",
                                    solvedToken(gateway, "a"),
                                    "X-Client",
                                    "a")
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void metricsAndHealthAreOnTheAdminListenerOnly() {
        try (TestGateway gateway = TestGateway.start(base() + "rate_limit: {rps: 1, burst: 1}\n")) {
            gateway.get("/");
            gateway.get("/");

            HttpResponse<String> publicMetrics = gateway.get("/metrics");
            HttpResponse<String> prefixed = gateway.get("/__gatehouse__/metrics");
            HttpResponse<String> metrics = gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""));
            HttpResponse<String> health = gateway.send(TestGateway.request("GET", gateway.admin("/healthz"), ""));

            assertThat(publicMetrics.body()).doesNotContain("gatehouse_");
            assertThat(prefixed.statusCode()).isEqualTo(404);
            assertThat(metrics.body())
                    .contains("gatehouse_requests_total{outcome=\"admitted\"} 1.0")
                    .contains("gatehouse_requests_total{outcome=\"rate_limited\"}")
                    .contains("gatehouse_breaker_state 0.0")
                    .contains("gatehouse_request_duration_seconds_bucket")
                    .as("the JVM's own figures")
                    .contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage");
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anUnreachableUpstreamIs502AndCountsAsABreakerFailure() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (TestGateway gateway = TestGateway.start("upstream: http://127.0.0.1:" + closedPort + "\n"
                + "circuit_breaker: {min_samples: 1, cooldown: 1h}\n")) {
            assertThat(gateway.get("/").statusCode()).isEqualTo(502);
            assertThat(gateway.get("/").statusCode())
                    .as("the breaker tripped on it")
                    .isEqualTo(503);
        }
    }

    @Test
    void anUpstreamThatDoesNotAnswerInTimeIs504() {
        upstream.goSilent();
        try (TestGateway gateway = TestGateway.start(base() + "timeouts: {upstream_response: 100ms}\n")) {
            HttpResponse<String> response = gateway.get("/slow");

            assertThat(response.statusCode()).isEqualTo(504);
        }
    }

    /**
     * An upstream may answer before the request's body is all sent (and stream its answer while
     * reading it). The upstream_response bound was met by that answer's head, so the request's end
     * must not start it again; and the upstream_read bound does not run while the client is still
     * sending (the upstream, silent while it reads, waits for the client then). In each case the
     * bound of a second request, started after the first answer's head (and, for the response bound,
     * after the first body's end), runs out (its 504) before the first answer ends, which must still
     * end whole.
     */
    @ParameterizedTest
    @CsvSource({"'upstream_response: 100ms', true", "'upstream_response: 100ms, upstream_read: 100ms', false"})
    void anAnswerThatCameBeforeTheBodyEnded_isNotCutByTheResponseOrReadBound(String bounds, boolean bodyEndsFirst)
            throws Exception {
        try (TestGateway gateway = TestGateway.start(base() + "timeouts: {" + bounds + "}\n");
                Socket client = new Socket("127.0.0.1", gateway.port())) {
            client.setSoTimeout((int) Stages.PATIENCE.toMillis());
            OutputStream out = client.getOutputStream();
            out.write("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = client.getInputStream();
            assertThat(readUntil(in, "early, ")).startsWith("HTTP/1.1 200");

            if (bodyEndsFirst) {
                out.write("56789".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            assertThat(gateway.get("/hang").statusCode())
                    .as("a bound started later than the first answer's head has run out")
                    .isEqualTo(504);
            if (!bodyEndsFirst) {
                out.write("56789".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            assertThat(upstream.endEarly(Stages.PATIENCE))
                    .as("the upstream read the body to its end")
                    .isTrue();

            assertThat(readUntil(in, "0\r\n\r\n")).contains("late");
        }
    }

    /** What {@code in} gives until {@code end} has come (as ASCII); fails if it closes first. */
    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder read = new StringBuilder();
        while (read.indexOf(end) < 0) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before \"" + end + "\" came, after: " + read);
            }
            read.append((char) b);
        }
        return read.toString();
    }

    @Test
    void wicketsPrefixServesTheAdminApiForDropInClients() {
        try (TestGateway gateway = TestGateway.start(base() + "admin_prefix: /__wicket__/\nqueue: {type: fifo}\n")) {
            assertThat(gateway.post("/__wicket__/enqueue", "").statusCode()).isEqualTo(200);
            assertThat(gateway.post("/__gatehouse__/enqueue", "").body()).isEqualTo("upstream /__gatehouse__/enqueue");
        }
    }

    @Test
    void adminBodiesAreReadAsGoReadsThem() {
        try (TestGateway gateway = TestGateway.start(base() + "queue: {type: fifo}\n")) {
            assertError(gateway.post("/__gatehouse__/status", "{\"ticket_id\":\"x\",\"bogus\":1}"), 400, "bad request");
            assertError(gateway.post("/__gatehouse__/status", "{\"ticket_id\":5}"), 400, "bad request");
            assertError(gateway.post("/__gatehouse__/status", "not json"), 400, "bad request");
            assertError(
                    gateway.post("/__gatehouse__/status", "{\"ticket_id\":\"" + "a".repeat(9000) + "\"}"),
                    400,
                    "bad request");
            assertError(
                    gateway.post("/__gatehouse__/status", "{\"TICKET_ID\":\"abc\"} trailing"), 404, "unknown ticket");
            assertError(gateway.post("/__gatehouse__/status", "null"), 400, "ticket required");
        }
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).isEqualTo("{\"error\":\"" + message + "\"}\n");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    private static String solvedToken(TestGateway gateway) throws Exception {
        return solvedToken(gateway, "");
    }

    /** A token solved for the client named {@code client} by its {@code X-Client} header (empty: none sent). */
    private static String solvedToken(TestGateway gateway, String client) throws Exception {
        String[] headers = client.isEmpty() ? new String[0] : new String[] {"X-Client", client};
        JsonNode challenge = JSON.readTree(
                gateway.post("/__gatehouse__/challenge", "", headers).body());
        String nonce = solve(
                challenge.get("payload").asText(), challenge.get("difficulty").asInt());
        HttpResponse<String> solved = gateway.post(
                "/__gatehouse__/solve",
                "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}",
                headers);
        assertThat(solved.statusCode()).as(solved.body()).isEqualTo(200);
        return JSON.readTree(solved.body()).get("token").asText();
    }

    /** What a client does: counts up an 8-byte nonce until SHA-256(payload ‖ nonce) has the zero bits. */
    static String solve(String payloadHex, int difficulty) throws Exception {
        byte[] payload = HexFormat.of().parseHex(payloadHex);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (long counter = 0; ; counter++) {
            byte[] nonce = ByteBuffer.allocate(8).putLong(counter).array();
            sha256.update(payload);
            byte[] hash = sha256.digest(nonce);
            if (leadingZeroBits(hash) >= difficulty) {
                return HexFormat.of().formatHex(nonce);
            }
        }
    }

    private static int leadingZeroBits(byte[] hash) {
        int bits = 0;
        for (byte b : hash) {
            if (b == 0) {
                bits += 8;
                continue;
            }
            return bits + Integer.numberOfLeadingZeros(b & 0xff) - 24;
        }
        return bits;
    }
}
