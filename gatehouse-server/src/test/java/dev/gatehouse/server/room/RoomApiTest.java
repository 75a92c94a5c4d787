package dev.gatehouse.server.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The GatekeeperAPI wire behaviour of the room, black-box against a started server on virtual time:
 * admissions tick only when a test advances the clock.
 */
class RoomApiTest {

    static final String SECRET = "a-test-secret-that-is-long-enough-for-hs256";
    static final String KEY = "business-key-one";
    static final String OTHER_KEY = "business-key-two";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private TestServer server;

    @BeforeEach
    void start() {
        server = start(Map.of());
    }

    private TestServer start(Map<Setting<?>, String> more) {
        Map<Setting<?>, String> settings = new java.util.HashMap<>(
                Map.of(RoomSettings.BUSINESS_IDS, KEY + ":" + OTHER_KEY, RoomSettings.JWT_SECRET, SECRET));
        settings.putAll(more);
        TestServer started = TestServer.start(settings, clock);
        clock.advanceNanos(0); // the rooms' first advance
        return started;
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The config fields GatekeeperAPI has, in its order. */
    private static final List<String> GATEKEEPER_FIELDS = List.of(
            "admission_limit",
            "admission_frequency",
            "jwt_expiry_seconds",
            "ready_ttl_seconds",
            "ip_enqueue_limit",
            "ip_enqueue_limit_interval",
            "ip_status_polling_limit",
            "ip_status_polling_limit_interval");

    // --- helpers

    private HttpResponse<String> call(String method, String path, String... headers) {
        return server.send(method, path, headers);
    }

    private HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(server.rate(path))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return server.send(builder.build());
    }

    static JsonNode json(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode enqueue(String user) {
        HttpResponse<String> response = call("POST", "/queue/enqueue", "business_id", KEY, "user_id", user);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response);
    }

    private JsonNode status(String jwt) {
        HttpResponse<String> response = call("GET", "/queue/status", "business_id", KEY, "jwt", jwt);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response);
    }

    private HttpResponse<String> verify(String jwt) {
        return call("GET", "/queue/verify", "business_id", KEY, "jwt", jwt);
    }

    private HttpResponse<String> finish(String jwt) {
        return call("DELETE", "/queue/finish", "business_id", KEY, "jwt", jwt);
    }

    private void configure(String body) {
        HttpResponse<String> response = post("/config", body, "business_id", KEY, "Content-Type", "application/json");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static String detail(HttpResponse<String> response) {
        return json(response).get("detail").asText();
    }

    // --- the routes

    @Test
    void aBodyOverTheBoundOfUnknownLength_isAnswered413ReadablyOverHttp2() throws Exception {
        try (HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            client.send( // the connection is upgraded to h2c on this one
                    HttpRequest.newBuilder(server.rate("/health")).build(), HttpResponse.BodyHandlers.ofString());
            byte[] big = new byte[100 * 1024]; // over the 64 KiB bound, streamed without a declared length
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(server.rate("/config"))
                            .timeout(Duration.ofSeconds(10))
                            .header("business_id", KEY)
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());

            // an answer with a Connection header is malformed over HTTP/2: the client would reset the stream
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(json(response).get("detail").asText()).contains("request body too large");
        }
    }

    @Test
    void healthNeedsNoKey() {
        HttpResponse<String> response = call("GET", "/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).toString()).isEqualTo("{\"status\":\"healthy\"}");
    }

    @Test
    void aMissingOrUnknownKeyIs401InEveryKeyedRoute() {
        for (String[] route : List.of(
                new String[] {"POST", "/queue/enqueue"},
                new String[] {"GET", "/queue/status"},
                new String[] {"GET", "/queue/verify"},
                new String[] {"DELETE", "/queue/finish"},
                new String[] {"GET", "/config"})) {
            HttpResponse<String> missing = call(route[0], route[1], "user_id", "u");
            assertThat(missing.statusCode()).as(route[1]).isEqualTo(401);
            assertThat(detail(missing)).contains("API key");
            HttpResponse<String> unknown = call(route[0], route[1], "business_id", "nope", "user_id", "u");
            assertThat(unknown.statusCode()).as(route[1]).isEqualTo(401);
            assertThat(detail(unknown)).isEqualTo("Invalid API key");
        }
    }

    @Test
    void theKeyMayComeInAnyOfItsHeaders() {
        for (String header : List.of("business_id", "business-id", "X-Api-Key")) {
            HttpResponse<String> response = call("POST", "/queue/enqueue", header, KEY, "user_id", "u-" + header);
            assertThat(response.statusCode()).as(header).isEqualTo(200);
        }
    }

    @Test
    void enqueueGivesATokenAndAPlaceOnceThenTheCurrentPlace() {
        JsonNode first = enqueue("alice");
        assertThat(first.get("jwt").asText()).isNotEmpty();
        assertThat(first.get("position").asLong()).isEqualTo(1);
        assertThat(first.get("message").asText()).isEqualTo("User enqueued successfully.");
        assertThat(enqueue("bob").get("position").asLong()).isEqualTo(2);
        JsonNode again = enqueue("alice");
        assertThat(again.get("jwt").asText()).isEmpty();
        assertThat(again.get("position").asLong()).isEqualTo(1);
    }

    @Test
    void aMissingOrOverlongUserIdIs422InFastApisShape() throws IOException {
        HttpResponse<String> missing = call("POST", "/queue/enqueue", "business_id", KEY);
        assertThat(missing.statusCode()).isEqualTo(422);
        assertThat(json(missing))
                .isEqualTo(
                        JSON.readTree(
                                "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"header\",\"user_id\"],\"msg\":\"Field required\",\"input\":null}]}"));
        HttpResponse<String> overlong = call("POST", "/queue/enqueue", "business_id", KEY, "user_id", "u".repeat(257));
        assertThat(overlong.statusCode()).isEqualTo(422);
        JsonNode error = json(overlong).get("detail").get(0);
        assertThat(error.get("type").asText()).isEqualTo("string_too_long");
        assertThat(error.get("ctx").get("max_length").asInt()).isEqualTo(256);
    }

    @Test
    void statusReportsThePlaceAndTheSameTokenWhileValid() {
        enqueue("alice");
        String jwt = enqueue("bob").get("jwt").asText();
        JsonNode status = status(jwt);
        assertThat(status.get("warning_msg").isNull()).isTrue();
        assertThat(status.get("jwt_token").asText()).isEqualTo(jwt);
        assertThat(status.get("position").asLong()).isEqualTo(2);
        assertThat(status.get("ready").asBoolean()).isFalse();
        // default config: 1,000 users every 5 s, so two places are one tick away
        assertThat(status.get("estimated_wait_seconds").asLong()).isEqualTo(1);
    }

    @Test
    void aTickMakesTheHeadReadyAndTheBackendFinishesThem() {
        configure("{\"admission_limit\": 1, \"admission_frequency\": 5}");
        String alice = enqueue("alice").get("jwt").asText();
        String bob = enqueue("bob").get("jwt").asText();
        assertThat(json(verify(alice)).get("ready").asBoolean()).isFalse();
        clock.advance(Duration.ofSeconds(5));
        JsonNode ready = status(alice);
        assertThat(ready.get("ready").asBoolean()).isTrue();
        assertThat(ready.get("position").isNull()).isTrue();
        assertThat(status(bob).get("position").asLong()).isEqualTo(1);
        JsonNode verified = json(verify(alice));
        assertThat(verified.get("ready").asBoolean()).isTrue();
        assertThat(verified.get("message").asText()).isEqualTo("User is ready");
        assertThat(enqueue("alice").get("position").asLong()).isZero();

        JsonNode notReady = json(finish(bob));
        assertThat(notReady.get("status").asText()).isEqualTo("not_ready");
        assertThat(status(bob).get("position").asLong()).isEqualTo(1); // still queued
        JsonNode cleared = json(finish(alice));
        assertThat(cleared.get("status").asText()).isEqualTo("ready_cleared");
        assertThat(cleared.get("message").asText()).isEqualTo("User removed from ready state");
        JsonNode gone = status(alice);
        assertThat(gone.get("warning_msg").asText()).contains("not found");
        assertThat(gone.get("ready").asBoolean()).isFalse();
        assertThat(gone.get("position").isNull()).isTrue();
        // a finished user starts over with a new token
        JsonNode again = enqueue("alice");
        assertThat(again.get("jwt").asText()).isNotEmpty();
        assertThat(again.get("position").asLong()).isEqualTo(2);
    }

    @Test
    void theAdminListenerCountsTheRoomAndHowLongAdmittedUsersWaited() {
        configure("{\"admission_limit\": 1, \"admission_frequency\": 5}");
        enqueue("alice");
        enqueue("bob");
        clock.advance(Duration.ofSeconds(5)); // alice admitted after 5 s
        clock.advance(Duration.ofSeconds(1)); // the counts are read about once a second
        String tenant = dev.gatehouse.waitingroom.Tenant.ofBusinessId(KEY).id();
        String metrics =
                server.send(TestServer.request("GET", server.admin("/metrics"))).body();
        assertThat(metrics)
                .contains("gatehouse_room_wait_seconds_count{tenant=\"" + tenant + "\"} 1")
                .contains("gatehouse_room_wait_seconds_sum{tenant=\"" + tenant + "\"} 5.0")
                .contains("gatehouse_room_queued{tenant=\"" + tenant + "\"} 1.0")
                .contains("gatehouse_room_ready{tenant=\"" + tenant + "\"} 1.0")
                .contains("gatehouse_room_admitted_total{tenant=\"" + tenant + "\"} 1.0");
    }

    @Test
    void anExpiredTokenIsReissuedByStatusOnlyWithTheSamePlace() {
        enqueue("alice");
        String jwt = enqueue("bob").get("jwt").asText();
        configure("{\"admission_limit\": 0}"); // paused: places stay
        clock.advance(Duration.ofSeconds(301)); // the default token lives 300 s
        assertThat(verify(jwt).statusCode()).isEqualTo(401);
        assertThat(detail(verify(jwt))).contains("expired");
        assertThat(finish(jwt).statusCode()).isEqualTo(401);
        JsonNode status = status(jwt);
        String renewed = status.get("jwt_token").asText();
        assertThat(renewed).isNotEqualTo(jwt);
        assertThat(status.get("position").asLong()).isEqualTo(2);
        assertThat(verify(renewed).statusCode()).isEqualTo(200);
        assertThat(status(renewed).get("jwt_token").asText()).isEqualTo(renewed);
    }

    @Test
    void theTokenMayComeAsABearer() {
        String jwt = enqueue("alice").get("jwt").asText();
        HttpResponse<String> response =
                call("GET", "/queue/status", "business_id", KEY, "Authorization", "Bearer " + jwt);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("position").asLong()).isEqualTo(1);
    }

    @Test
    void forgedAndForeignTokensAre401() throws Exception {
        String jwt = enqueue("alice").get("jwt").asText();
        String[] parts = jwt.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        assertThat(payload).doesNotContain(KEY).contains("\"sub\":\"alice\"");
        String otherTenants = call("POST", "/queue/enqueue", "business_id", OTHER_KEY, "user_id", "alice")
                .body()
                .replaceAll(".*\"jwt\":\"([^\"]+)\".*", "$1");
        List<String> forged = new ArrayList<>();
        forged.add(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".");
        forged.add(b64("{\"alg\":\"none\"}") + "." + parts[1] + "." + parts[2]);
        forged.add(signed("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, new byte[1])); // = an empty HMAC key
        forged.add(signed(
                "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, "wrong-secret-wrong-secret-wrong-secret".getBytes()));
        forged.add(signed(
                "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, SECRET.getBytes())); // not the configured algorithm
        forged.add(parts[0] + "." + b64(payload.replace("alice", "mallory")) + "." + parts[2]); // tampered
        forged.add(otherTenants); // authentic, another tenant's
        forged.add("not-a-jwt");
        forged.add("a.b.c");
        forged.add("x".repeat(5000));
        for (String token : forged) {
            for (HttpResponse<String> response : List.of(
                    call("GET", "/queue/status", "business_id", KEY, "jwt", token), verify(token), finish(token))) {
                assertThat(response.statusCode()).as(token).isEqualTo(401);
                assertThat(detail(response)).as(token).contains("token");
            }
        }
        HttpResponse<String> missing = call("GET", "/queue/status", "business_id", KEY);
        assertThat(missing.statusCode()).isEqualTo(401);
    }

    private static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String signed(String header, String payload, byte[] key) throws Exception {
        String algorithm = header.contains("HS512") ? "HmacSHA512" : "HmacSHA256";
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        String input = b64(header) + "." + b64(payload);
        return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes()));
    }

    @Test
    void configIsReadAndUpdatedPartially() {
        HttpResponse<String> read = call("GET", "/config", "business_id", KEY);
        assertThat(read.statusCode()).isEqualTo(200);
        JsonNode answer = json(read);
        assertThat(answer.get("message").asText()).isEqualTo("Configuration retrieved successfully");
        List<String> names = new ArrayList<>();
        answer.get("updated_config").fieldNames().forEachRemaining(names::add);
        List<String> gatehousesOwn =
                List.of("max_active_users", "abandon_after_seconds", "prequeue_opens_at", "opens_at", "pow_difficulty");
        assertThat(names)
                .isEqualTo(Stream.concat(GATEKEEPER_FIELDS.stream(), gatehousesOwn.stream())
                        .toList());
        HttpResponse<String> updated =
                post("/config", "{\"admission_limit\": 20, \"admission_frequency\": \"10\"}", "business_id", KEY);
        assertThat(updated.statusCode()).isEqualTo(200);
        JsonNode config = json(updated).get("updated_config");
        assertThat(json(updated).get("message").asText()).isEqualTo("Configuration updated successfully");
        assertThat(config.get("admission_limit").asLong()).isEqualTo(20);
        assertThat(config.get("admission_frequency").asLong()).isEqualTo(10);
        assertThat(config.get("jwt_expiry_seconds").asLong()).isEqualTo(300);
        // tenants are apart
        assertThat(json(call("GET", "/config", "business_id", OTHER_KEY))
                        .get("updated_config")
                        .get("admission_limit")
                        .asLong())
                .isEqualTo(1000);
    }

    @Test
    void badConfigIs422ListingEveryBadField() {
        HttpResponse<String> response = post(
                "/config",
                "{\"jwt_expiry_seconds\": 59, \"ready_ttl_seconds\": 3601, \"admission_limit\": 1.5, \"colour\": 1}",
                "business_id",
                KEY);
        assertThat(response.statusCode()).isEqualTo(422);
        JsonNode errors = json(response).get("detail");
        assertThat(errors).hasSize(4);
        assertThat(errors.get(0).get("type").asText()).isEqualTo("greater_than_equal");
        assertThat(errors.get(0).get("loc").toString()).isEqualTo("[\"body\",\"jwt_expiry_seconds\"]");
        assertThat(errors.get(0).get("ctx").get("ge").asLong()).isEqualTo(60);
        assertThat(errors.get(1).get("type").asText()).isEqualTo("less_than_equal");
        assertThat(errors.get(2).get("type").asText()).isEqualTo("int_parsing");
        assertThat(errors.get(3).get("type").asText()).isEqualTo("extra_forbidden");
        // nothing was applied
        assertThat(json(call("GET", "/config", "business_id", KEY))
                        .get("updated_config")
                        .get("jwt_expiry_seconds")
                        .asLong())
                .isEqualTo(300);

        HttpResponse<String> malformed = post("/config", "{\"admission_limit\": ", "business_id", KEY);
        assertThat(malformed.statusCode()).isEqualTo(422);
        assertThat(json(malformed).get("detail").get(0).get("type").asText()).isEqualTo("json_invalid");
        // one JSON value and nothing after it: nothing of a body with more is applied
        for (String trailing : List.of("{\"admission_limit\": 10} x", "{\"admission_limit\": 10}{}", "{}]")) {
            HttpResponse<String> extra = post("/config", trailing, "business_id", KEY);
            assertThat(extra.statusCode()).as(trailing).isEqualTo(422);
            JsonNode error = json(extra).get("detail").get(0);
            assertThat(error.get("type").asText()).isEqualTo("json_invalid");
            assertThat(error.get("ctx").get("error").asText()).isEqualTo("Extra data");
        }
        assertThat(json(call("GET", "/config", "business_id", KEY))
                        .get("updated_config")
                        .get("admission_limit")
                        .asLong())
                .isEqualTo(1000);
        // the parser's own words (Java classes, parser features) never reach the client
        for (String odd : List.of(
                "{\"admission_limit\": NaN}", "{/* c */}", "[".repeat(2000), "{\"a\": 1" + "0".repeat(5000) + "}")) {
            HttpResponse<String> refused = post("/config", odd, "business_id", KEY);
            assertThat(refused.statusCode()).isEqualTo(422);
            assertThat(json(refused)
                            .get("detail")
                            .get(0)
                            .get("ctx")
                            .get("error")
                            .asText())
                    .as(odd.substring(0, Math.min(20, odd.length())))
                    .isIn("Invalid JSON", "Nesting too deep or a number too long");
            assertThat(refused.body()).doesNotContain("Feature", "JsonReadFeature", "enable", "`");
        }
        HttpResponse<String> notAnObject = post("/config", "[1,2]", "business_id", KEY);
        assertThat(json(notAnObject).get("detail").get(0).get("type").asText()).isEqualTo("model_attributes_type");
        HttpResponse<String> empty = post("/config", "", "business_id", KEY);
        assertThat(empty.statusCode()).isEqualTo(422);
        assertThat(json(empty).get("detail").get(0).get("type").asText()).isEqualTo("missing");
    }

    /**
     * Changes of different fields sent at once (over several connections, so several event loops)
     * all stay: each change reads the config the one before it wrote.
     */
    @Test
    void configChangesSentAtOnce_allStay() throws InterruptedException {
        List<String> fields = GATEKEEPER_FIELDS;
        for (int round = 0; round < 5; round++) {
            long value = 100 + round;
            AtomicInteger next = new AtomicInteger();
            Race.run(fields.size(), () -> configure("{\"" + fields.get(next.getAndIncrement()) + "\": " + value + "}"));

            JsonNode config = json(call("GET", "/config", "business_id", KEY)).get("updated_config");
            for (String field : fields) {
                assertThat(config.get(field).asLong())
                        .as("round %d: %s", round, field)
                        .isEqualTo(value);
            }
        }
    }

    @Test
    void perIpLimitsAnswer429WithAdvice() {
        configure("{\"ip_enqueue_limit\": 2, \"ip_enqueue_limit_interval\": 60}");
        enqueue("a");
        enqueue("b");
        HttpResponse<String> refused = call("POST", "/queue/enqueue", "business_id", KEY, "user_id", "c");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(detail(refused)).contains("at most 2 per 60 s");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(refused.headers().firstValue("RateLimit")).hasValue("\"ip_enqueue\";r=0;t=60");
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValue("\"ip_enqueue\";q=2;w=60");
        // the other tenant's limit is its own
        assertThat(call("POST", "/queue/enqueue", "business_id", OTHER_KEY, "user_id", "c")
                        .statusCode())
                .isEqualTo(200);
        clock.advance(Duration.ofSeconds(60));
        assertThat(call("POST", "/queue/enqueue", "business_id", KEY, "user_id", "c")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void pollsWithATokenThatIsNotValid_areRefusedBeforeThePerIpLimitCounts() {
        configure("{\"ip_status_polling_limit\": 1, \"ip_status_polling_limit_interval\": 60}");
        String jwt = enqueue("a").get("jwt").asText();
        for (int i = 0; i < 5; i++) {
            assertThat(call("GET", "/queue/status", "business_id", KEY, "jwt", jwt + "x")
                            .statusCode())
                    .isEqualTo(401);
        }

        assertThat(call("GET", "/queue/status", "business_id", KEY, "jwt", jwt).statusCode())
                .isEqualTo(200);
        assertThat(call("GET", "/queue/status", "business_id", KEY, "jwt", jwt).statusCode())
                .isEqualTo(429);
    }

    @Test
    void behindTrustedProxiesTheForwardedAddressIsLimited() {
        server.close();
        server = start(Map.of(RoomSettings.TRUSTED_PROXY_HOPS, "1"));
        configure("{\"ip_status_polling_limit\": 1}");
        String jwt = enqueue("a").get("jwt").asText();
        for (String ip : List.of("203.0.113.1", "203.0.113.2")) {
            HttpResponse<String> first =
                    call("GET", "/queue/status", "business_id", KEY, "jwt", jwt, "X-Forwarded-For", "6.6.6.6, " + ip);
            assertThat(first.statusCode()).as(ip).isEqualTo(200);
            // what the client wrote left of the proxy's entry changes nothing
            HttpResponse<String> second =
                    call("GET", "/queue/status", "business_id", KEY, "jwt", jwt, "X-Forwarded-For", "7.7.7.7, " + ip);
            assertThat(second.statusCode()).as(ip).isEqualTo(429);
        }
    }

    @Test
    void aCapacityBoundAdmitsAtOnceWhenASeatFrees() {
        configure("{\"admission_limit\": 100, \"admission_frequency\": 60, \"max_active_users\": 1}");
        String alice = enqueue("alice").get("jwt").asText();
        clock.advance(Duration.ofSeconds(60)); // the first tick under this config gives the budget
        assertThat(status(alice).get("ready").asBoolean()).isTrue();
        String bob = enqueue("bob").get("jwt").asText();
        clock.advanceNanos(0);
        assertThat(status(bob).get("position").asLong()).isEqualTo(1);
        assertThat(json(finish(alice)).get("status").asText()).isEqualTo("ready_cleared");
        clock.advanceNanos(0); // no tick: the seat is taken at once
        assertThat(status(bob).get("ready").asBoolean()).isTrue();
    }

    @Test
    void usersWhoStopPollingLoseThePlaceWhenAbandonmentIsOn() {
        configure("{\"admission_limit\": 0, \"abandon_after_seconds\": 30}");
        enqueue("gone");
        String stays = enqueue("stays").get("jwt").asText();
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(10));
            status(stays);
        }
        assertThat(status(stays).get("position").asLong()).isEqualTo(1);
    }

    @Test
    void aConfigBodyIsReadAsJsonWhateverItsContentType() {
        int limit = 10;
        for (String type : List.of("application/json", "application/x-www-form-urlencoded", "text/plain")) {
            HttpResponse<String> changed =
                    post("/config", "{\"admission_limit\": " + ++limit + "}", "business_id", KEY, "Content-Type", type);
            assertThat(changed.statusCode()).as(type).isEqualTo(200);
            assertThat(json(changed)
                            .get("updated_config")
                            .get("admission_limit")
                            .asLong())
                    .isEqualTo(limit);
        }
    }

    @Test
    void unknownRoutesAndMethodsAnswerInFastApisWords() {
        HttpResponse<String> notFound = call("GET", "/nope", "business_id", KEY);
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.body()).isEqualTo("{\"detail\":\"Not Found\"}");
        HttpResponse<String> wrongMethod = call("GET", "/queue/enqueue", "business_id", KEY);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.body()).isEqualTo("{\"detail\":\"Method Not Allowed\"}");
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
        // Allow names the methods of the path the router matched: the decoded one
        assertThat(call("GET", "/queue/%65nqueue", "business_id", KEY).headers().firstValue("Allow"))
                .hasValue("POST");
        assertThat(call("DELETE", "/%63onfig", "business_id", KEY).headers().firstValue("Allow"))
                .hasValue("GET, POST");
        assertThat(call("GET", "/queue/%66inish", "business_id", KEY).headers().firstValue("Allow"))
                .hasValue("DELETE");
        // the rate service on the same port keeps gocc's answers
        assertThat(call("GET", "/rate/k").statusCode()).isEqualTo(200);
        HttpResponse<String> rateWrongMethod = call("PUT", "/rate/k");
        assertThat(rateWrongMethod.body()).isEqualTo("{\"message\":\"Method Not Allowed\"}\n");
    }

    /** Every room operation /openapi.json documents is served: none answers 404 or 405. */
    @Test
    void everyDocumentedRoomOperationIsServed() {
        JsonNode paths = json(call("GET", "/openapi.json")).get("paths");
        List<String> operations = new ArrayList<>();
        paths.properties()
                .forEach(path -> path.getValue().fieldNames().forEachRemaining(method -> {
                    if (!path.getKey().startsWith("/rate")
                            && !path.getKey().startsWith("/debug")
                            && !path.getKey().equals("/healthz")
                            && List.of("get", "post", "delete").contains(method)) {
                        operations.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path.getKey());
                    }
                }));
        assertThat(operations)
                .containsExactlyInAnyOrder(
                        "POST /queue/enqueue",
                        "POST /queue/challenge",
                        "GET /queue/status",
                        "GET /queue/verify",
                        "DELETE /queue/finish",
                        "GET /config",
                        "POST /config",
                        "GET /health",
                        "GET /docs",
                        "GET /redoc",
                        "GET /openapi.json",
                        "GET /draw/{room}/{file}",
                        "GET /.well-known/jwks.json");
        configure("{\"pow_difficulty\": 1}"); // so that the room has challenges to give
        clock.advance(Duration.ofSeconds(2)); // past the config cache
        for (String operation : operations) {
            String[] parts = operation
                    .replace(
                            "{room}",
                            dev.gatehouse.waitingroom.Tenant.ofBusinessId(KEY).id())
                    .replace("{file}", "proof") // 400 without a ticket: served, where a file not drawn yet is 404
                    .split(" ");
            int status = call(parts[0], parts[1], "business_id", KEY, "user_id", "doc-user")
                    .statusCode();
            assertThat(status).as(operation).isNotIn(404, 405);
        }
    }

    /** A visitor's page names the room by its publishable id; the backend's and the owner's routes still need the key. */
    @Test
    void theRoomsPublishableIdServesEnqueueAndStatusOnly() {
        String room = dev.gatehouse.waitingroom.Tenant.ofBusinessId(KEY).id();
        HttpResponse<String> enqueued = call("POST", "/queue/enqueue", "X-Gatehouse-Room", room, "user_id", "visitor");
        assertThat(enqueued.statusCode()).as(enqueued.body()).isEqualTo(200);
        String jwt = json(enqueued).get("jwt").asText();
        HttpResponse<String> polled = call("GET", "/queue/status", "X-Gatehouse-Room", room, "jwt", jwt);
        assertThat(json(polled).get("position").asLong()).isEqualTo(1);
        assertThat(status(jwt).get("position").asLong())
                .as("the same room by its key")
                .isEqualTo(1);

        for (String[] route :
                List.of(new String[] {"GET", "/queue/verify"}, new String[] {"DELETE", "/queue/finish"}, new String[] {
                    "GET", "/config"
                })) {
            HttpResponse<String> refused = call(route[0], route[1], "X-Gatehouse-Room", room, "jwt", jwt);
            assertThat(refused.statusCode()).as(route[1]).isEqualTo(401);
            assertThat(detail(refused)).contains("API key");
        }
        HttpResponse<String> unknown = call("POST", "/queue/enqueue", "X-Gatehouse-Room", "key-0000", "user_id", "v");
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(detail(unknown)).isEqualTo("Unknown room in X-Gatehouse-Room");
        HttpResponse<String> otherRoomsToken = call(
                "GET",
                "/queue/status",
                "X-Gatehouse-Room",
                dev.gatehouse.waitingroom.Tenant.ofBusinessId(OTHER_KEY).id(),
                "jwt",
                jwt);
        assertThat(otherRoomsToken.statusCode()).isEqualTo(401);
    }

    @Test
    void theRoomNeedsALongEnoughSecret() {
        server.close();
        assertThatThrownBy(() -> TestServer.start(Map.of(RoomSettings.BUSINESS_IDS, KEY), clock))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("room.jwt-secret")
                .hasMessageContaining("JWT_SECRET");
        assertThatThrownBy(() -> TestServer.start(
                        Map.of(RoomSettings.BUSINESS_IDS, KEY, RoomSettings.JWT_SECRET, "short"), clock))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("at least 32 bytes")
                .hasMessageNotContaining("short");
        server = start(Map.of());
    }

    @Test
    void drawKeysAre64HexDigitsAndTwoKeys() {
        server.close();
        assertThatThrownBy(() -> start(Map.of(RoomSettings.DRAW_VRF_KEY, "not-hex-and-secret")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("room.draw-vrf-key")
                .hasMessageContaining("64 hex digits")
                .hasMessageNotContaining("not-hex-and-secret");
        assertThatThrownBy(() -> start(Map.of(
                        RoomSettings.DRAW_VRF_KEY, "ab".repeat(32), RoomSettings.DRAW_SIGNING_KEY, "AB".repeat(32))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("room.draw-signing-key")
                .hasMessageContaining("the draw needs two keys");
        server = start(Map.of());
    }
}
