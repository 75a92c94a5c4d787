package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.RawConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gocc wire behaviour, black-box against a started server on virtual time: windows roll only when
 * a test advances the clock, so no answer depends on how fast the machine is.
 */
class RateApiTest {

    private static final long WINDOW_MILLIS = 1000;
    private static final ManualClock CLOCK = new ManualClock();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger KEYS = new AtomicInteger();

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(
                Map.of(
                        RateSettings.MAX_REQUESTS, "2",
                        RateSettings.MAX_REQUESTS_IN_QUEUE, "3",
                        RateSettings.WINDOW_MILLIS, Long.toString(WINDOW_MILLIS)),
                CLOCK);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void rate_maxTwo_answers200Then200Then429() {
        String key = freshKey();

        HttpResponse<String> first = server.get("/rate/" + key);
        HttpResponse<String> second = server.send("POST", "/rate/" + key);
        HttpResponse<String> third = server.get("/rate/" + key);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).matches("[0-9]+");
        assertThat(first.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(second.body())).isNotEqualTo(Long.parseLong(first.body()));
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(third.body()).isEmpty();
    }

    @Test
    void rate_percentEscapedKey_isTheSameKeyAsItsPlainSpelling() {
        String key = freshKey();

        assertThat(server.get("/rate/" + key + "b").statusCode()).isEqualTo(200); // the short path
        assertThat(server.get("/rate/" + key + "%62").statusCode()).isEqualTo(200); // through the router
        assertThat(server.send("POST", "/rate/" + key + "b").statusCode()).isEqualTo(429);
    }

    @Test
    void rate_everyAnswerCarriesRateLimitHeaders_andRefusalsRetryAfter() {
        String key = freshKey();

        HttpResponse<String> allowed = server.get("/rate/" + key);
        server.get("/rate/" + key);
        HttpResponse<String> refused = server.get("/rate/" + key);

        assertThat(allowed.headers().firstValue("RateLimit-Policy")).hasValue("\"fixed_window\";q=2;w=1");
        assertThat(allowed.headers().firstValue("RateLimit")).hasValue("\"fixed_window\";r=1;t=1");
        assertThat(allowed.headers().firstValue("Retry-After")).isEmpty();
        assertThat(refused.headers().firstValue("RateLimit")).hasValue("\"fixed_window\";r=0;t=1");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    }

    /** Keys of different limits answered in turn: each answer names its own key's policy. */
    @Test
    void rate_eachAnswerNamesItsOwnKeysPolicy_whenKeysOfDifferentLimitsAlternate() {
        String plain = freshKey();
        String wide = freshKey();
        for (int i = 0; i < 3; i++) {
            assertThat(server.get("/rate/" + plain).headers().firstValue("RateLimit-Policy"))
                    .hasValue("\"fixed_window\";q=2;w=1");
            assertThat(server.get("/rate/" + wide + "?maxRequests=50").headers().firstValue("RateLimit-Policy"))
                    .hasValue("\"fixed_window\";q=50;w=1");
        }
    }

    @Test
    void rate_acceptJson_getsAJsonDecision() throws Exception {
        String key = freshKey();

        HttpResponse<String> allowed = server.get("/rate/" + key, "Accept", "application/json");
        server.get("/rate/" + key);
        HttpResponse<String> refused = server.get("/rate/" + key, "Accept", "application/json");

        JsonNode yes = JSON.readTree(allowed.body());
        assertThat(allowed.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(yes.get("allowed").asBoolean()).isTrue();
        assertThat(yes.get("requestId").asLong()).isPositive();
        assertThat(yes.get("remaining").asInt()).isEqualTo(1);
        assertThat(yes.get("limit").asInt()).isEqualTo(2);
        JsonNode no = JSON.readTree(refused.body());
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(no.get("allowed").asBoolean()).isFalse();
        assertThat(no.get("outcome").asText()).isEqualTo("denied");
        assertThat(no.get("retryAfterMillis").asLong()).isBetween(1L, WINDOW_MILLIS);
    }

    @Test
    void rate_canWait_isAdmittedWhenTheWindowRolls() {
        String key = freshKey();
        server.get("/rate/" + key);
        server.get("/rate/" + key);

        CompletableFuture<HttpResponse<String>> waited = server.getAsync("/rate/" + key + "?canWait=true");
        Await.until(Duration.ofSeconds(5), () -> numWaiting(key) == 1);
        assertThat(waited).isNotDone();
        CLOCK.advanceNanos(WINDOW_MILLIS * 1_000_000);

        assertThat(waited.join().statusCode()).isEqualTo(200);
    }

    @Test
    void rate_queueFull_answers429AtOnce() {
        String key = freshKey();
        server.get("/rate/" + key + "?maxRequestsInQueue=1");
        server.get("/rate/" + key);
        CompletableFuture<HttpResponse<String>> waiting = server.getAsync("/rate/" + key + "?canWait=true");
        Await.until(Duration.ofSeconds(5), () -> numWaiting(key) == 1);

        HttpResponse<String> refused = server.get("/rate/" + key + "?canWait=true");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        CLOCK.advanceNanos(WINDOW_MILLIS * 1_000_000);
        assertThat(waiting.join().statusCode()).isEqualTo(200);
    }

    /** The window never rolls here (virtual time stands still): only the disconnect can empty the queue. */
    @Test
    void rate_disconnectedWaiter_leavesTheQueue() {
        String key = freshKey();
        server.get("/rate/" + key);
        server.get("/rate/" + key);
        HttpClient impatient = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> waiting = impatient.sendAsync(
                TestServer.request("GET", server.rate("/rate/" + key + "?canWait=true")),
                HttpResponse.BodyHandlers.ofString());
        Await.until(Duration.ofSeconds(5), () -> numWaiting(key) == 1);

        waiting.cancel(true);
        impatient.shutdownNow();

        Await.until(Duration.ofSeconds(5), () -> numWaiting(key) == 0);
    }

    @Test
    void rate_waiterThatEndsItsSending_isTakenAsGone() {
        String key = freshKey();
        server.get("/rate/" + key);
        server.get("/rate/" + key);
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send("GET /rate/" + key + "?canWait=true HTTP/1.1\r\nHost: x\r\n\r\n");
            Await.until(Duration.ofSeconds(5), () -> numWaiting(key) == 1);

            connection.endSending(); // shutdown(SHUT_WR), as nc -N does

            Await.until(Duration.ofSeconds(5), () -> numWaiting(key) == 0);
            assertThat(connection.readUntilClosed()).isEmpty();
        }
    }

    @Test
    void delete_freesASlotOfTheCurrentWindow() {
        String key = freshKey();
        String id = server.get("/rate/" + key).body();
        server.get("/rate/" + key);
        assertThat(server.get("/rate/" + key).statusCode()).isEqualTo(429);

        HttpResponse<String> deleted = server.send("DELETE", "/rate/" + key + "/" + id);

        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.body()).isEmpty();
        assertThat(server.get("/rate/" + key).statusCode()).isEqualTo(200);
    }

    @Test
    void delete_anyRequestId_is200_asGoccOnlyLogsIt() {
        assertThat(server.send("DELETE", "/rate/k/12x").statusCode()).isEqualTo(200);
        assertThat(server.send("DELETE", "/rate/k/%20x%20").statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /rate/%20/5        | 400 | empty key provided
            /rate/k/%20        | 400 | empty id provided
            /rate/k/%09%20%0A  | 400 | empty id provided
            /rate/%zz/5        | 400 | 'malformed path: a bad percent-escape or not UTF-8'
            """)
    void delete_emptyOrMalformedParts_are400NamingThem(String path, int status, String message) throws IOException {
        assertThat(rawAnswer("DELETE", path)).isEqualTo(status + " " + message);
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /rate/%20                               | 400 | empty key provided
            /rate/%09%20                            | 400 | empty key provided
            /rate/k?canWait=yes                     | 400 | failed to parse canWait query parameter
            /rate/k?canWait=%zz                     | 400 | failed to parse canWait query parameter
            /rate/k?maxRequests=abc                 | 400 | failed to parse maxRequests query parameter
            /rate/k?maxRequests=%zz                 | 400 | failed to parse maxRequests query parameter
            /rate/k?maxRequestsInQueue=1.5          | 400 | failed to parse maxRequestsInQueue query parameter
            /rate/k?maxRequests=0                   | 400 | maxRequests out of bounds
            /rate/k?maxRequestsInQueue=-1           | 400 | maxRequestsInQueue out of bounds
            /rate/k?canWait=x&maxRequests=abc       | 400 | failed to parse canWait query parameter
            /rate/%e9                               | 400 | 'malformed key: a bad percent-escape or not UTF-8'
            /rate/%zz                               | 400 | 'malformed key: a bad percent-escape or not UTF-8'
            /debug/never-seen                       | 404 | Key not found
            /rate/                                  | 404 | '{"message":"Not Found"}\n'
            /rate                                   | 404 | '{"message":"Not Found"}\n'
            /nowhere                                | 404 | '{"message":"Not Found"}\n'
            /rate/k/                                | 404 | '{"message":"Not Found"}\n'
            /rate/k/x                               | 405 | '{"message":"Method Not Allowed"}\n'
            """)
    void invalidCalls_getTheirStatusAndMessage(String path, int status, String message) throws IOException {
        assertThat(rawAnswer("GET", path)).isEqualTo(status + " " + message.replace("\\n", "\n"));
    }

    /** "status body" of {@code method path} sent as written (a JDK client refuses malformed escapes). */
    private static String rawAnswer(String method, String path) throws IOException {
        String request = method + " " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        String answer = new String(rawRequest(request.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.UTF_8);
        return answer.substring(9, 12) + " " + answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void rate_keyWithSpaceAround_isTrimmedToTheSameKey() {
        String key = freshKey();

        assertThat(server.get("/rate/" + key).statusCode()).isEqualTo(200);
        assertThat(server.get("/rate/%20" + key + "%09").statusCode()).isEqualTo(200);
        assertThat(server.get("/rate/" + key).statusCode()).isEqualTo(429);
    }

    @Test
    void rate_rawUtf8KeyAndItsPercentEncoding_shareOneCounter() throws IOException {
        String key = freshKey();
        String raw = "GET /rate/" + key + "caf\u00c3\u00a9 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

        assertThat(statusOfRawRequest(raw.getBytes(StandardCharsets.ISO_8859_1)))
                .isEqualTo(200);
        assertThat(server.get("/rate/" + key + "caf%C3%A9").statusCode()).isEqualTo(200);
        assertThat(server.get("/rate/" + key + "caf%c3%a9").statusCode()).isEqualTo(429);
        assertThat(server.get("/debug/" + key + "caf%C3%A9").statusCode()).isEqualTo(200);
    }

    private static int statusOfRawRequest(byte[] request) throws IOException {
        return Integer.parseInt(new String(rawRequest(request), StandardCharsets.ISO_8859_1).substring(9, 12));
    }

    /** Everything the server answers to {@code request} (which asks it to close the connection). */
    private static byte[] rawRequest(byte[] request) throws IOException {
        URI uri = server.rate("/");
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request);
            return socket.getInputStream().readAllBytes();
        }
    }

    @Test
    void rate_everyCall_deniedOnesToo_takesARequestId() {
        String key = freshKey();
        long first = Long.parseLong(server.get("/rate/" + key).body());
        server.get("/rate/" + key);
        assertThat(server.get("/rate/" + key).statusCode()).isEqualTo(429);
        server.send("DELETE", "/rate/" + key + "/" + first);

        long fourth = Long.parseLong(server.get("/rate/" + key).body());

        assertThat(fourth - first).isGreaterThanOrEqualTo(3); // the denied call took one of its own
    }

    @Test
    void debug_pagesThroughKeysInOrder() throws Exception {
        String prefix = freshKey();
        for (String suffix : new String[] {"a", "b", "c"}) {
            server.get("/rate/" + prefix + suffix);
        }

        JsonNode page =
                JSON.readTree(server.get("/debug?limit=1&cursor=" + prefix).body());
        assertThat(page.get("Instances").fieldNames()).toIterable().containsExactly(prefix + "a");
        assertThat(page.get("NextCursor").asText()).isEqualTo(prefix + "a");
        JsonNode next = JSON.readTree(
                server.get("/debug?limit=2&cursor=" + prefix + "a").body());
        assertThat(next.get("Instances").fieldNames()).toIterable().startsWith(prefix + "b", prefix + "c");
        assertThat(server.get("/debug?limit=0").statusCode()).isEqualTo(400);
        assertThat(server.get("/debug?limit=10001").statusCode()).isEqualTo(400);
    }

    @Test
    void overridesWhileDisallowed_are403() {
        try (TestServer strict = TestServer.start(Map.of(
                RateSettings.REQUESTS_CAN_SET_RATE, "false",
                RateSettings.REQUESTS_CAN_MOD_QUEUE, "false"))) {
            HttpResponse<String> rate = strict.get("/rate/k?maxRequests=0");
            HttpResponse<String> queue = strict.get("/rate/k?maxRequestsInQueue=5");

            assertThat(rate.statusCode()).isEqualTo(403);
            assertThat(rate.body()).isEqualTo("maxRequests query parameter is disabled");
            assertThat(queue.statusCode()).isEqualTo(403);
            assertThat(queue.body()).isEqualTo("maxRequestsInQueue query parameter is disabled");
        }
    }

    @Test
    void override_persistsForTheKey() throws Exception {
        String key = freshKey();

        assertThat(server.get("/rate/" + key + "?maxRequests=1").statusCode()).isEqualTo(200);
        assertThat(server.get("/rate/" + key).statusCode()).isEqualTo(429);

        JsonNode snapshot = JSON.readTree(server.get("/debug/" + key).body());
        assertThat(snapshot.at("/Config/MaxRequestsPerWindow").asInt()).isEqualTo(1);
        assertThat(snapshot.at("/Config/MaxRequestsInQueue").asInt()).isEqualTo(3);
    }

    @Test
    void debug_describesEveryKeyAsGoccDoes() throws Exception {
        String key = freshKey();
        server.get("/rate/" + key);
        server.get("/rate/" + key);
        server.get("/rate/" + key);

        HttpResponse<String> all = server.get("/debug");
        JsonNode snapshot = JSON.readTree(all.body()).at("/Instances/" + key);

        assertThat(all.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(snapshot.get("Key").asText()).isEqualTo(key);
        assertThat(snapshot.at("/Config/WindowMillis").asLong()).isEqualTo(WINDOW_MILLIS);
        assertThat(snapshot.at("/Config/MaxRequestsPerWindow").asInt()).isEqualTo(2);
        assertThat(snapshot.get("NumApprovedThisWindow").asInt()).isEqualTo(2);
        assertThat(snapshot.get("NumDeniedThisWindow").asInt()).isEqualTo(1);
        assertThat(snapshot.get("NumWaiting").asInt()).isZero();
        assertThat(snapshot.get("Found").asBoolean()).isTrue();
        assertThat(JSON.readTree(server.get("/debug/" + key).body())).isEqualTo(snapshot);
    }

    @Test
    void idleKey_disappearsFromDebugAfterThreeWindows() {
        String key = freshKey();
        server.get("/rate/" + key);
        assertThat(server.get("/debug/" + key).statusCode()).isEqualTo(200);

        CLOCK.advanceNanos(3 * WINDOW_MILLIS * 1_000_000);
        assertThat(server.get("/debug/" + key).statusCode()).isEqualTo(200); // not yet: 3 idle windows after its own
        CLOCK.advanceNanos(2 * WINDOW_MILLIS * 1_000_000);

        Await.until(Duration.ofSeconds(10), () -> server.get("/debug/" + key).statusCode() == 404);
        assertThat(server.get("/debug").body()).doesNotContain(key);
    }

    @Test
    void healthz_is200WithAnEmptyBody() {
        HttpResponse<String> response = server.get("/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void wrongMethod_is405AsEchoAnswersIt_namingTheAllowedMethods() {
        HttpResponse<String> response = server.send("PUT", "/rate/k");

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.body()).isEqualTo("{\"message\":\"Method Not Allowed\"}\n");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("allow")).hasValue("GET, POST");
        assertThat(server.send("GET", "/rate/k/5").headers().firstValue("allow"))
                .hasValue("DELETE");
    }

    @Test
    void oversizedInput_isRefusedWithA4xx() {
        // each refusal may close its connection: every request gets a connection of its own
        HttpResponse<String> longQuery =
                onOwnConnection(TestServer.request("GET", server.rate("/rate/k?canWait=" + "x".repeat(5000))));
        HttpResponse<String> bigHeader =
                onOwnConnection(TestServer.request("GET", server.rate("/rate/k"), "X-Big", "y".repeat(17_000)));
        // with Expect: 100-continue the client learns of the refusal before it sends the body
        HttpResponse<String> bigBody = onOwnConnection(HttpRequest.newBuilder(server.rate("/rate/k"))
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString("z".repeat(70_000)))
                .build());
        HttpResponse<String> longKey =
                onOwnConnection(TestServer.request("GET", server.rate("/rate/" + "k".repeat(300))));

        assertThat(longQuery.statusCode()).isEqualTo(414);
        assertThat(bigHeader.statusCode()).isEqualTo(431);
        assertThat(bigBody.statusCode()).isEqualTo(413);
        assertThat(bigBody.body()).startsWith("request body too large: 70000 bytes");
        assertThat(longKey.statusCode()).isEqualTo(400);
        assertThat(longKey.body()).isEqualTo("key too long: 300 bytes (expected: <= 256)");
    }

    private static HttpResponse<String> onOwnConnection(HttpRequest request) {
        try (HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void h2c_isServedOnTheSamePort() throws Exception {
        try (HttpClient http2 =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            http2.send(TestServer.request("GET", server.rate("/healthz")), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> response = http2.send(
                    TestServer.request("GET", server.rate("/rate/" + freshKey())),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void admin_servesMetricsHealthAndReadiness() {
        server.get("/rate/" + freshKey());

        HttpResponse<String> metrics = server.send(TestServer.request("GET", server.admin("/metrics")));

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("gatehouse_rate_decisions_total{outcome=\"allowed\"}")
                .contains("gatehouse_rate_decision_seconds_bucket")
                .contains("gatehouse_rate_waiters ")
                .contains("gatehouse_rate_keys ")
                .contains("gatehouse_rate_evictions_total");
        assertThat(server.send(TestServer.request("GET", server.admin("/healthz")))
                        .statusCode())
                .isEqualTo(200);
        assertThat(server.send(TestServer.request("GET", server.admin("/readyz")))
                        .statusCode())
                .isEqualTo(200);
    }

    private static int numWaiting(String key) {
        HttpResponse<String> response = server.get("/debug/" + key);
        try {
            return response.statusCode() == 200
                    ? JSON.readTree(response.body()).get("NumWaiting").asInt()
                    : -1;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String freshKey() {
        return "key-" + KEYS.incrementAndGet();
    }
}
