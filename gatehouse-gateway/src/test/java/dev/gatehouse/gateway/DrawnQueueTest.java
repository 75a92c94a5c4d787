package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.testing.http.RawConnection;
import dev.gatehouse.waitingroom.draw.DrawCheckException;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import dev.gatehouse.waitingroom.draw.InclusionProof;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The vrf and ecvrf queues: tickets register until the operator opens the queue on the admin
 * listener, which draws their order (gatehouse/draw/v1); the records served to anyone check out, and
 * each ticket's place is the one they prove.
 */
final class DrawnQueueTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String VRF_KEY = "11".repeat(32);
    static final String SIGNING_KEY = "22".repeat(32);

    private TestUpstream upstream;

    @BeforeEach
    void startUpstream() {
        upstream = TestUpstream.start();
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    private String yaml(String type) {
        return "upstream: " + upstream.url() + "\nqueue: {type: " + type + ", room: \"Spring drop\", vrf_key: \""
                + VRF_KEY + "\", signing_key: \"" + SIGNING_KEY + "\"}\n";
    }

    @Test
    void ticketsRegisterUntilTheOpenDrawsTheirOrderWhichAnyoneCanCheck() throws Exception {
        try (TestGateway gateway = TestGateway.start(yaml("ecvrf"))) {
            List<String> tickets = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                tickets.add(
                        JSON.readTree(gateway.post("/__gatehouse__/enqueue", "").body())
                                .get("ticket_id")
                                .asText());
            }
            assertThat(tickets).allMatch(ticket -> ticket.matches("[0-9a-f]{32}"));
            assertThat(gateway.get("/__gatehouse__/status?ticket=" + tickets.get(0))
                            .body())
                    .isEqualTo(
                            "{\"ticket_id\":\"" + tickets.get(0)
                                    + "\",\"position\":null,\"cursor\":0,\"ahead\":null,\"admitted\":false,\"prequeue\":true}\n");
            assertError(gateway.get("/__gatehouse__/draw/record"), 404, "no draw yet");
            assertThat(gateway.send(TestGateway.request("GET", gateway.admin("/queue"), ""))
                            .body())
                    .contains("\"size\":0,\"registered\":7");

            HttpResponse<String> opened = gateway.send(TestGateway.request("POST", gateway.admin("/queue/open"), ""));
            assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
            JsonNode open = JSON.readTree(opened.body());
            assertThat(open.get("drawn").asLong()).isEqualTo(7);
            String later = JSON.readTree(
                            gateway.post("/__gatehouse__/enqueue", "").body())
                    .get("ticket_id")
                    .asText();

            byte[] record = download(gateway, "/__gatehouse__/draw/record", "application/json");
            byte[] commit = download(gateway, "/__gatehouse__/draw/commit", "application/json");
            byte[] list = download(gateway, "/__gatehouse__/draw/tickets", "text/plain; charset=us-ascii");
            DrawRecord drawn = DrawVerifier.checkRecord(record, signingPublicKey(), commit);
            assertThat(drawn.commit().room()).isEqualTo("Spring drop");
            assertThat(drawn.commit().root()).isEqualTo(open.get("root").asText());
            List<String> order = DrawVerifier.checkTickets(drawn, list);
            assertThat(order).containsExactlyInAnyOrderElementsOf(tickets);
            for (String ticket : tickets) {
                JsonNode status = JSON.readTree(
                        gateway.get("/__gatehouse__/status?ticket=" + ticket).body());
                assertThat(status.get("position").asLong()).isEqualTo(order.indexOf(ticket) + 1);
                assertThat(status.has("prequeue")).isFalse();
                byte[] proof = download(gateway, "/__gatehouse__/draw/proof?ticket=" + ticket, "application/json");
                assertThat(DrawVerifier.checkInclusion(drawn, ticket, proof)).isBetween(0L, 6L);
            }
            assertThat(JSON.readTree(gateway.get("/__gatehouse__/status?ticket=" + later)
                                    .body())
                            .get("position")
                            .asLong())
                    .as("after the draw, arrival order behind it")
                    .isEqualTo(8);
            assertThat(gateway.send(TestGateway.request("GET", gateway.admin("/queue/draw/record"), ""))
                            .body())
                    .isEqualTo(new String(record, StandardCharsets.UTF_8));

            assertError(
                    gateway.send(TestGateway.request("POST", gateway.admin("/queue/open"), "")),
                    409,
                    "no pre-queue is running: the queue is open");
            assertError(
                    gateway.get("/__gatehouse__/draw/proof?ticket=" + later),
                    404,
                    "no draw, or the ticket is not in it");
            assertError(gateway.get("/__gatehouse__/draw/proof?ticket=XYZ"), 400, "ticket: not a ticket id of a draw");
            assertError(gateway.get("/__gatehouse__/draw/proof"), 400, "ticket required");
            HttpResponse<String> posted = gateway.post("/__gatehouse__/draw/record", "");
            assertError(posted, 405, "method not allowed");
            assertThat(posted.headers().firstValue("Allow")).hasValue("GET, HEAD");
        }
    }

    @Test
    void replicasSharingRedisOpenOnceAndServeTheSameDraw() throws Exception {
        RequiredServices.redis();
        URI redis = URI.create(RequiredServices.REDIS_URL);
        String yaml = yaml("ecvrf") + "store: {backend: redis, key_prefix: \"draw-test-" + UUID.randomUUID()
                + ":\", redis: {addr: \"" + redis.getHost() + ":" + (redis.getPort() == -1 ? 6379 : redis.getPort())
                + "\"}}\n";
        try (TestGateway first = TestGateway.start(yaml);
                TestGateway second = TestGateway.start(yaml)) {
            List<String> tickets = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                TestGateway replica = i % 2 == 0 ? first : second;
                tickets.add(
                        JSON.readTree(replica.post("/__gatehouse__/enqueue", "").body())
                                .get("ticket_id")
                                .asText());
            }
            CompletableFuture<HttpResponse<String>> atFirst = openAsync(first);
            CompletableFuture<HttpResponse<String>> atSecond = openAsync(second);
            List<Integer> statuses =
                    List.of(atFirst.get().statusCode(), atSecond.get().statusCode());

            assertThat(statuses)
                    .as("both finish the open, or one finds it done")
                    .contains(200)
                    .allMatch(status -> status == 200 || status == 409);
            byte[] record = download(first, "/__gatehouse__/draw/record", "application/json");
            assertThat(download(second, "/__gatehouse__/draw/record", "application/json"))
                    .isEqualTo(record);
            DrawRecord drawn = DrawVerifier.checkRecord(record, signingPublicKey(), null);
            List<String> order = DrawVerifier.checkTickets(
                    drawn, download(second, "/__gatehouse__/draw/tickets", "text/plain; charset=us-ascii"));
            assertThat(order).containsExactlyInAnyOrderElementsOf(tickets);
            for (int i = 0; i < order.size(); i++) {
                TestGateway replica = i % 2 == 0 ? second : first;
                assertThat(JSON.readTree(replica.get("/__gatehouse__/status?ticket=" + order.get(i))
                                        .body())
                                .get("position")
                                .asLong())
                        .isEqualTo(i + 1);
            }
        }
    }

    @Test
    void aReplicaWithOtherKeysCannotDrawAnothersCommit() throws Exception {
        RequiredServices.redis();
        URI redis = URI.create(RequiredServices.REDIS_URL);
        ManualClock clock = new ManualClock(1_767_225_600L * 1_000_000_000L);
        String store = "store: {backend: redis, key_prefix: \"draw-keys-" + UUID.randomUUID() + ":\", redis: {addr: \""
                + redis.getHost() + ":" + (redis.getPort() == -1 ? 6379 : redis.getPort()) + "\"}}\n";
        String beacon = ", beacon: {chain: quicknet, genesis_time: 1692803367, period: 3s}}\n";
        String yaml = yaml("ecvrf").replace("}\n", beacon) + store;
        String otherKeys = yaml.replace(VRF_KEY, "33".repeat(32));
        try (TestGateway first = TestGateway.start(yaml, clock);
                TestGateway second = TestGateway.start(otherKeys, clock)) {
            enqueue(first);
            assertThat(admin(first, "/queue/open").statusCode()).isEqualTo(202);
            clock.advance(Duration.ofSeconds(3));

            HttpResponse<String> refused = admin(second, "/queue/reveal?beacon_value=" + "cd".repeat(32));

            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(refused.body())
                    .contains("the kept commit cannot be drawn here: the commitment names other keys than this draw's")
                    .contains("every replica needs the same VRF and signing keys");
            assertThat(admin(first, "/queue/reveal?beacon_value=" + "cd".repeat(32))
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    private static CompletableFuture<HttpResponse<String>> openAsync(TestGateway gateway) {
        return CompletableFuture.supplyAsync(
                () -> gateway.send(TestGateway.request("POST", gateway.admin("/queue/open"), "")));
    }

    @Test
    void withABeaconTheOpenCommitsAndTheRevealOfItsRoundDraws() throws Exception {
        ManualClock clock = new ManualClock(1_767_225_600L * 1_000_000_000L);
        String yaml = yaml("ecvrf")
                .replace("}\n", ", beacon: {chain: \"drand quicknet\", genesis_time: 1692803367, period: 3s}}\n");
        try (TestGateway gateway = TestGateway.start(yaml, clock)) {
            List<String> tickets = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                tickets.add(enqueue(gateway));
            }
            HttpResponse<String> opened = admin(gateway, "/queue/open");
            JsonNode committed = JSON.readTree(opened.body());
            assertThat(opened.statusCode()).as(opened.body()).isEqualTo(202);
            assertThat(opened.body())
                    .startsWith("{\"opened\":false,\"committed\":4,\"root\":\"")
                    .endsWith(",\"beacon\":{\"chain\":\"drand quicknet\",\"round\":24807413,"
                            + "\"published_at\":1767225603}}\n");
            String late = enqueue(gateway);
            assertThat(gateway.get("/__gatehouse__/status?ticket=" + tickets.get(0))
                            .body())
                    .contains("\"prequeue\":true");
            assertThat(gateway.get("/__gatehouse__/status?ticket=" + late).body())
                    .contains("\"prequeue\":true");
            assertError(
                    gateway.get("/__gatehouse__/draw/record"),
                    404,
                    "not drawn yet: the commit waits for its beacon round");
            // before the draw, a visitor can already check the ticket was committed
            InclusionProof proof = InclusionProof.readFile(
                    download(gateway, "/__gatehouse__/draw/proof?ticket=" + tickets.get(1), "application/json"));
            assertThat(proof.leadsTo(committed.get("root").asText())).isTrue();
            assertThat(admin(gateway, "/queue/open").statusCode()).isEqualTo(202);

            String value = "ab".repeat(32);
            assertError(
                    admin(gateway, "/queue/reveal?beacon_value=" + value),
                    409,
                    "beacon round 24807413 is published at 1767225603, in 3 s");
            assertError(
                    admin(gateway, "/queue/reveal?beacon_value=AB"),
                    400,
                    "beacon_value: the round's value as lowercase hex, 1 to 1024 bytes");
            clock.advance(Duration.ofSeconds(3));
            HttpResponse<String> revealed = admin(gateway, "/queue/reveal?beacon_value=" + value);
            assertThat(revealed.body())
                    .isEqualTo("{\"opened\":true,\"drawn\":4,\"root\":\""
                            + committed.get("root").asText() + "\"}\n");

            DrawRecord drawn = DrawVerifier.checkRecord(
                    download(gateway, "/__gatehouse__/draw/record", "application/json"),
                    signingPublicKey(),
                    download(gateway, "/__gatehouse__/draw/commit", "application/json"));
            assertThat(drawn.beaconValue()).isEqualTo(value);
            List<String> order = DrawVerifier.checkTickets(
                    drawn, download(gateway, "/__gatehouse__/draw/tickets", "text/plain; charset=us-ascii"));
            for (String ticket : tickets) {
                assertThat(position(gateway, ticket)).isEqualTo(order.indexOf(ticket) + 1);
            }
            assertThat(position(gateway, late)).isEqualTo(5);
            assertThat(admin(gateway, "/queue/reveal?beacon_value=" + value).statusCode())
                    .as("a second reveal changes nothing")
                    .isEqualTo(200);
            assertThat(position(gateway, late)).isEqualTo(5);
            assertError(
                    admin(gateway, "/queue/reveal?beacon_value=" + "ef".repeat(32)),
                    409,
                    "drawn already, with beacon value " + value);
        }
    }

    /** Queries whose escapes do not decode, wrong methods, HEAD: 4xx that name the problem, never 500. */
    @Test
    void hostileRequestsGetTheirOwn4xx() throws Exception {
        try (TestGateway gateway = TestGateway.start(yaml("ecvrf"))) {
            String ticket = enqueue(gateway);
            assertThat(admin(gateway, "/queue/open").statusCode()).isEqualTo(200);
            for (String path : List.of(
                    "/__gatehouse__/draw/record?x=%",
                    "/__gatehouse__/draw/commit?a=%g", "/__gatehouse__/draw/tickets?%zz")) {
                assertThat(raw(gateway.port(), "GET", path))
                        .as("a query the file does not read")
                        .startsWith("HTTP/1.1 200");
            }
            for (String method : List.of("GET", "HEAD")) {
                assertThat(raw(gateway.port(), method, "/__gatehouse__/draw/proof?ticket=%"))
                        .as(method)
                        .startsWith("HTTP/1.1 400")
                        .contains(method.equals("GET") ? "malformed query: a percent-escape that does not decode" : "");
            }
            for (String path : List.of("/queue/reveal?beacon_value=%", "/queue/advance?n=%", "/queue/draw/proof?%")) {
                assertThat(raw(gateway.adminPort(), path.startsWith("/queue/draw") ? "GET" : "POST", path))
                        .as(path)
                        .startsWith("HTTP/1.1 400")
                        .contains("malformed query: a percent-escape that does not decode");
            }
            for (String path : List.of("/queue/open", "/queue/reveal", "/queue/advance")) {
                HttpResponse<String> answer = gateway.send(TestGateway.request("GET", gateway.admin(path), ""));
                assertError(answer, 405, "method not allowed");
                assertThat(answer.headers().firstValue("Allow")).as(path).hasValue("POST");
            }
            HttpResponse<String> head = gateway.send("HEAD", "/__gatehouse__/draw/proof?ticket=" + ticket);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("Content-Length"))
                    .hasValue(gateway.get("/__gatehouse__/draw/proof?ticket=" + ticket)
                            .body()
                            .length());
        }
    }

    /** One request over a raw connection (the JDK's client refuses to send a malformed escape). */
    private static String raw(int port, String method, String path) {
        try (RawConnection connection = RawConnection.open(port)) {
            return connection
                    .send(method + " " + path
                            + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .readUntilClosed();
        }
    }

    private static String enqueue(TestGateway gateway) throws Exception {
        return JSON.readTree(gateway.post("/__gatehouse__/enqueue", "").body())
                .get("ticket_id")
                .asText();
    }

    private static long position(TestGateway gateway, String ticket) throws Exception {
        return JSON.readTree(
                        gateway.get("/__gatehouse__/status?ticket=" + ticket).body())
                .get("position")
                .asLong();
    }

    private static HttpResponse<String> admin(TestGateway gateway, String pathAndQuery) {
        return gateway.send(TestGateway.request("POST", gateway.admin(pathAndQuery), ""));
    }

    @Test
    void anOpenWithoutTicketsOpensTheQueueWithoutADraw() throws Exception {
        try (TestGateway gateway = TestGateway.start(yaml("vrf"))) {
            HttpResponse<String> opened = gateway.send(TestGateway.request("POST", gateway.admin("/queue/open"), ""));

            assertThat(opened.body()).isEqualTo("{\"opened\":true,\"drawn\":0,\"root\":null}\n");
            String ticket = JSON.readTree(
                            gateway.post("/__gatehouse__/enqueue", "").body())
                    .get("ticket_id")
                    .asText();
            assertThat(JSON.readTree(gateway.get("/__gatehouse__/status?ticket=" + ticket)
                                    .body())
                            .get("position")
                            .asLong())
                    .isEqualTo(1);
            assertError(gateway.get("/__gatehouse__/draw/record"), 404, "no draw yet");
            assertError(
                    admin(gateway, "/queue/reveal?beacon_value=00"),
                    409,
                    "the queue has no beacon (queue.beacon): the open draws at once");
        }
    }

    @Test
    void aFifoQueueHasNothingToOpen() {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\nqueue: {type: fifo}\n")) {
            assertError(
                    gateway.send(TestGateway.request("POST", gateway.admin("/queue/open"), "")),
                    409,
                    "a fifo queue has no pre-queue to open (queue.type: vrf or ecvrf has)");
            assertError(gateway.get("/__gatehouse__/draw/record"), 404, "no draw yet");
        }
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n")) {
            assertError(
                    gateway.send(TestGateway.request("POST", gateway.admin("/queue/open"), "")),
                    404,
                    "queue not configured");
            assertError(gateway.get("/__gatehouse__/draw/tickets"), 404, "queue not configured");
        }
    }

    static String signingPublicKey() {
        return HexFormat.of()
                .formatHex(SigningKey.fromSeed(HexFormat.of().parseHex(SIGNING_KEY))
                        .publicKey());
    }

    private static byte[] download(TestGateway gateway, String path, String type) throws DrawCheckException {
        HttpResponse<String> response = gateway.get(path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(type);
        return response.body().getBytes(StandardCharsets.UTF_8);
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).isEqualTo("{\"error\":\"" + message + "\"}\n");
    }
}
