package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.RawConnection;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The gateway's {@code waiting_room} on virtual time: a visitor without a seat gets the waiting page
 * and waits in line through the page's API; a pass takes the seat (a cookie), which admits until the
 * visitor leaves or is not seen for a session; then the next in line gets in. Every refusal of a
 * hostile client is a 4xx naming the problem, never an ERROR or a stack trace.
 */
final class WaitingRoomGatewayTest extends ProxiedGatewayTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/__gatehouse__/";
    private static final Pattern CONFIG =
            Pattern.compile("<script type=\"application/json\" id=\"gatehouse-page\">(.*?)</script>", Pattern.DOTALL);

    private final ManualClock clock = new ManualClock();

    private String config(String room) {
        return "upstream: " + upstream.url() + "\n"
                + "admission: {secret: 0123456789abcdef0123456789abcdef}\n"
                + "identity: {from: header, name: X-Client}\n"
                + "waiting_room:\n" + room;
    }

    private TestGateway start(String room) {
        return TestGateway.start(config(room), clock);
    }

    @Test
    void aVisitorWaitsTakesTheSeatAndTheNextGetsInWhenItIsLeft() throws IOException {
        try (TestGateway gateway = start("  paths: [/shop]\n  capacity: 1\n  page: {title: Ticket drop}\n")) {
            assertThat(gateway.get("/elsewhere", "X-Client", "a").body())
                    .as("paths outside the room pass")
                    .isEqualTo("upstream /elsewhere");

            HttpResponse<String> page = gateway.get("/shop/item?id=7", "X-Client", "a", "Accept-Language", "de");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(page.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(page.body()).contains("<title>Ticket drop</title>");
            JsonNode pageConfig = pageConfig(page.body());
            assertThat(pageConfig.get("room").asText()).isEqualTo("site");
            assertThat(pageConfig.get("api").asText()).isEqualTo(PREFIX + "room");
            assertThat(pageConfig.get("return_url").asText())
                    .isEqualTo(PREFIX + "room/seat?to=" + encode("/shop/item?id=7"));
            assertThat(upstream.seen())
                    .as("a page without a seat is the gateway's")
                    .hasSize(1);

            String a = enqueue(gateway, "a", "user-a");
            String b = enqueue(gateway, "b", "user-b");
            clock.advance(Duration.ofSeconds(1));
            JsonNode aReady = status(gateway, "a", a);
            assertThat(aReady.get("ready").asBoolean()).isTrue();
            assertThat(status(gateway, "b", b).get("position").asLong()).isEqualTo(1);

            String seat = takeSeat(gateway, "a", aReady.get("jwt_token").asText(), "/shop/item?id=7");
            HttpResponse<String> inside = gateway.get("/shop/item?id=7", "X-Client", "a", "Cookie", seat);
            assertThat(inside.body()).isEqualTo("upstream /shop/item?id=7");
            assertThat(gateway.get("/shop/item", "X-Client", "c", "Cookie", seat)
                            .body())
                    .as("a seat is its client's: copied to another, it holds none")
                    .contains("gatehouse-page");
            assertThat(gateway.get("/shop", "X-Client", "a", "Cookie", seat.replace('A', 'B') + "x")
                            .body())
                    .as("a forged seat holds none")
                    .contains("gatehouse-page");

            HttpResponse<String> asked = gateway.get(PREFIX + "room/leave?to=/bye", "X-Client", "a", "Cookie", seat);
            assertThat(asked.statusCode())
                    .as("a link (or another site) only shows a button")
                    .isEqualTo(200);
            assertThat(asked.body()).contains("<form method=\"post\" action=\"" + PREFIX + "room/leave?to=%2Fbye\"");
            assertThat(asked.headers().firstValue("Set-Cookie")).isEmpty();
            assertThat(gateway.get("/shop/item?id=7", "X-Client", "a", "Cookie", seat)
                            .body())
                    .as("still seated after the GET")
                    .isEqualTo("upstream /shop/item?id=7");
            HttpResponse<String> left =
                    gateway.post(PREFIX + "room/leave?to=/bye", "", "X-Client", "a", "Cookie", seat);
            assertThat(left.statusCode()).isEqualTo(303);
            assertThat(left.headers().firstValue("Location")).hasValue("/bye");
            assertThat(left.headers().firstValue("Set-Cookie"))
                    .hasValueSatisfying(
                            c -> assertThat(c).startsWith("gatehouse_seat=;").contains("Max-Age=0"));
            clock.advance(Duration.ofSeconds(1));
            assertThat(status(gateway, "b", b).get("ready").asBoolean())
                    .as("the seat left goes to the next")
                    .isTrue();
        }
    }

    @Test
    void aSeatIdlesOutAfterASessionWithoutVisitsAndIsKeptByThem() throws IOException {
        try (TestGateway gateway = start("  paths: [/]\n  capacity: 1\n  session: 1m\n")) {
            String a = enqueue(gateway, "a", "user-a");
            String b = enqueue(gateway, "b", "user-b");
            clock.advance(Duration.ofSeconds(1));
            String seat = takeSeat(
                    gateway, "a", status(gateway, "a", a).get("jwt_token").asText(), "/");

            // visits every 20 s for 3 minutes: the seat is kept, renewed by its cookie; b waits
            for (int i = 0; i < 9; i++) {
                clock.advance(Duration.ofSeconds(20));
                assertThat(status(gateway, "b", b).get("ready").asBoolean())
                        .as("b, polling")
                        .isFalse();
                HttpResponse<String> visit = gateway.get("/page", "X-Client", "a", "Cookie", seat);
                assertThat(visit.body()).as("visit %d", i).isEqualTo("upstream /page");
                seat = visit.headers()
                        .firstValue("Set-Cookie")
                        .map(c -> c.substring(0, c.indexOf(';')))
                        .orElse(seat);
            }
            assertThat(status(gateway, "b", b).get("ready").asBoolean()).isFalse();

            // then no visit for a session: the seat is freed, and goes to b (still polling)
            clock.advance(Duration.ofSeconds(30));
            status(gateway, "b", b);
            clock.advance(Duration.ofSeconds(31));
            assertThat(status(gateway, "b", b).get("ready").asBoolean()).isTrue();
            assertThat(gateway.get("/page", "X-Client", "a", "Cookie", seat).body())
                    .as("an idled-out seat holds none")
                    .contains("gatehouse-page");
            JsonNode gone = status(gateway, "a", a);
            assertThat(gone.get("ready").asBoolean()).isFalse();
            assertThat(gone.get("warning_msg").asText()).contains("not in the queue");
        }
    }

    @Test
    void withoutJavaScriptAVisitorJoinsWithAButtonWaitsAndIsSentOnWithTheSeat() throws IOException {
        try (TestGateway gateway = start("  paths: [/]\n  capacity: 1\n")) {
            String here = PREFIX + "room/nojs?to=" + encode("/shop");
            HttpResponse<String> first = gateway.get(here, "X-Client", "a");
            assertThat(first.body()).contains("<form method=\"post\"").contains("Join the line");

            HttpResponse<String> joined = gateway.post(here, "", "X-Client", "a");
            assertThat(joined.statusCode()).isEqualTo(303);
            assertThat(joined.headers().firstValue("Location")).hasValue(here);
            String wait = cookie(joined, "gatehouse_wait");
            assertThat(joined.headers().firstValue("Set-Cookie").orElseThrow()).contains("Path=" + PREFIX + "room/");

            enqueue(gateway, "z", "someone-first"); // behind the visitor, who joined first
            HttpResponse<String> waiting = gateway.get(here, "X-Client", "a", "Cookie", wait);
            assertThat(waiting.body()).contains("You are number 1 in line").contains("http-equiv=\"refresh\"");

            clock.advance(Duration.ofSeconds(1));
            HttpResponse<String> ready = gateway.get(here, "X-Client", "a", "Cookie", wait);
            assertThat(ready.statusCode()).isEqualTo(303);
            assertThat(ready.headers().firstValue("Location")).hasValue("/shop");
            String seat = cookie(ready, "gatehouse_seat");
            assertThat(gateway.get("/shop", "X-Client", "a", "Cookie", seat).body())
                    .isEqualTo("upstream /shop");
        }
    }

    @Test
    void forwardAuthNginxsErrorPageTlsAndMetricsSeeTheRoom() throws IOException {
        try (TestGateway gateway = start("  paths: [/shop]\n  capacity: 1\nforward_auth: {enabled: true}\n")) {
            HttpResponse<String> judged =
                    gateway.get(PREFIX + "auth", "X-Client", "a", "X-Forwarded-Uri", "/shop/x?y=1");
            assertThat(judged.statusCode())
                    .as("a judge's 2xx would let it through")
                    .isEqualTo(401);
            assertThat(pageConfig(judged.body()).get("return_url").asText())
                    .isEqualTo(PREFIX + "room/seat?to=" + encode("/shop/x?y=1"));
            HttpResponse<String> nginx =
                    gateway.get(PREFIX + "auth?deny=403", "X-Client", "a", "X-Forwarded-Uri", "/shop/x");
            assertThat(nginx.statusCode()).isEqualTo(403);
            assertThat(nginx.headers().firstValue("X-Gatehouse-Status")).hasValue("401");
            assertThat(gateway.get(PREFIX + "auth", "X-Client", "a", "X-Forwarded-Uri", "/other")
                            .statusCode())
                    .isEqualTo(204);

            HttpResponse<String> errorPage = gateway.get(PREFIX + "wait?to=" + encode("/shop/x"), "X-Client", "a");
            assertThat(errorPage.statusCode()).isEqualTo(200);
            assertThat(pageConfig(errorPage.body()).get("return_url").asText())
                    .isEqualTo(PREFIX + "room/seat?to=" + encode("/shop/x"));

            String a = enqueue(gateway, "a", "user-a");
            clock.advance(Duration.ofSeconds(1));
            HttpResponse<String> seated = gateway.get(
                    PREFIX + "room/seat?to=/shop&token="
                            + encode(status(gateway, "a", a).get("jwt_token").asText()),
                    "X-Client",
                    "a",
                    "X-Forwarded-Proto",
                    "https");
            assertThat(seated.headers().firstValue("Set-Cookie").orElseThrow()).endsWith("; Secure");
            String seat = cookie(seated, "gatehouse_seat");
            assertThat(gateway.get(PREFIX + "auth", "X-Client", "a", "X-Forwarded-Uri", "/shop/x", "Cookie", seat)
                            .statusCode())
                    .isEqualTo(204);

            clock.advance(Duration.ofSeconds(1));
            String metrics = gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""))
                    .body();
            assertThat(metrics)
                    .contains("gatehouse_waiting_room_seated 1.0")
                    .contains("gatehouse_waiting_room_queued 0.0")
                    .containsPattern("gatehouse_requests_total\\{outcome=\"waiting\"\\} [1-9]");
        }
    }

    /**
     * An attacker's probe found these: one visitor's pass or token seated any number of clients; a
     * line that nobody polls held seats forever and grew without bound; a second click of the
     * no-JavaScript page queued the visitor twice; a malformed escape on leave answered 500; a page
     * asked with a long or //-address sent its visitor to a refusal after the wait; a Location
     * beyond ASCII was mangled; a capacity room's estimate came from the admission rate.
     */
    @Test
    void whatTheProbeFoundIsClosed() throws IOException {
        try (TestGateway gateway = start(
                "  paths: [/]\n  capacity: 1\n  session: 1m\n  abandon_after: 1m\n  max_line: 3\n  admit_count: 1\n")) {
            // a pass or a token copied to another client seats nobody there
            String a = enqueue(gateway, "a", "user-a");
            clock.advance(Duration.ofSeconds(1));
            String pass = status(gateway, "a", a).get("jwt_token").asText();
            for (String token : List.of(pass, a)) {
                HttpResponse<String> copied =
                        gateway.get(PREFIX + "room/seat?to=/&token=" + encode(token), "X-Client", "thief");
                assertThat(copied.statusCode()).isEqualTo(303);
                assertThat(copied.headers().firstValue("Set-Cookie"))
                        .as("no seat for a copy")
                        .isEmpty();
            }
            assertThat(gateway.get(PREFIX + "room/queue/status", "X-Client", "thief", "jwt", a)
                            .statusCode())
                    .as("another client's token is no token")
                    .isEqualTo(401);
            String seat = takeSeat(gateway, "a", pass, "/");

            // ghosts: joined, never polled; they lose their place after abandon_after, a polling visitor does not
            enqueue(gateway, "g1", "ghost-1");
            enqueue(gateway, "g2", "ghost-2");
            String real = enqueue(gateway, "r", "real");
            assertThat(status(gateway, "r", real).get("position").asLong()).isEqualTo(3);
            assertThat(status(gateway, "r", real).get("estimated_wait_seconds").isNull())
                    .as("a capacity room cannot tell a wait before it has measured one")
                    .isTrue();
            clock.advance(Duration.ofSeconds(1)); // the round that counts the line
            HttpResponse<String> full = gateway.post(
                    PREFIX + "room/queue/enqueue",
                    "",
                    "X-Client",
                    "late",
                    "user_id",
                    "late",
                    "X-Gatehouse-Room",
                    "site");
            assertThat(full.statusCode()).as("max_line: 3").isEqualTo(503);
            assertThat(full.headers().firstValue("Retry-After")).hasValue("30");
            for (int i = 0; i < 7; i++) {
                clock.advance(Duration.ofSeconds(10));
                status(gateway, "r", real);
                gateway.get("/", "X-Client", "a", "Cookie", seat); // a keeps its seat
            }
            assertThat(status(gateway, "r", real).get("position").asLong())
                    .as("the ghosts are gone")
                    .isEqualTo(1);
            gateway.post(PREFIX + "room/leave", "", "X-Client", "a", "Cookie", seat);
            clock.advance(Duration.ofSeconds(1));
            assertThat(status(gateway, "r", real).get("ready").asBoolean()).isTrue();

            // leave with an escape that does not decode: 400, never 500
            try (RawConnection raw = RawConnection.open(gateway.port())) {
                raw.send("POST " + PREFIX + "room/leave?to=/&x=%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                        + "Connection: close\r\n\r\n");
                assertThat(RawConnection.status(raw.readUntilClosed())).isEqualTo(400);
            }
            // a page that cannot be gone back to: its visitor goes to the site's root after the wait
            try (RawConnection raw = RawConnection.open(gateway.port())) {
                raw.send("GET /search?q=" + "a".repeat(2_100)
                        + " HTTP/1.1\r\nHost: x\r\nX-Client: q\r\nConnection: close\r\n\r\n");
                String answer = raw.readUntilClosed();
                assertThat(answer).contains("\"return_url\":\"" + PREFIX + "room/seat?to=%2F\"");
            }
            // a path another site's address could be read from is no page at all
            try (RawConnection raw = RawConnection.open(gateway.port())) {
                raw.send("GET //cdn.example/x.js HTTP/1.1\r\nHost: x\r\nX-Client: q\r\nConnection: close\r\n\r\n");
                assertThat(RawConnection.status(raw.readUntilClosed())).isEqualTo(400);
            }
            // a Location beyond ASCII arrives as UTF-8 escapes
            HttpResponse<String> left =
                    gateway.post(PREFIX + "room/leave?to=" + encode("/caf\u00e9/\u3000x"), "", "X-Client", "a");
            assertThat(left.headers().firstValue("Location")).hasValue("/caf%C3%A9/%E3%80%80x");
        }
    }

    @Test
    void aSecondClickOfTheJoinButtonKeepsOnePlace() throws IOException {
        try (TestGateway gateway = start("  paths: [/]\n  capacity: 1\n")) {
            enqueue(gateway, "first", "someone"); // takes the seat
            clock.advance(Duration.ofSeconds(1));
            String here = PREFIX + "room/nojs?to=" + encode("/");
            String wait = cookie(gateway.post(here, "", "X-Client", "v"), "gatehouse_wait");
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> again = gateway.post(here, "", "X-Client", "v", "Cookie", wait);
                assertThat(again.statusCode()).isEqualTo(303);
                assertThat(again.headers().allValues("Set-Cookie"))
                        .as("no new place")
                        .isEmpty();
            }
            assertThat(gateway.get(here, "X-Client", "v", "Cookie", wait).body())
                    .contains("You are number 1 in line");
        }
    }

    @Test
    void hostileClientsGetA4xxNamingTheProblem() throws IOException {
        try (TestGateway gateway = start("  paths: [/]\n  capacity: 1\n  joins_per_minute: 3\n")) {
            String seatBase = PREFIX + "room/seat?token=x&to=";
            for (String to : List.of(
                    "//evil.example/x", "/%5Cevil.example", "https://evil.example/", "shop", "/a%0d%0aSet-Cookie:x")) {
                HttpResponse<String> refused = gateway.get(seatBase + encodeLoosely(to), "X-Client", "h");
                assertThat(refused.statusCode()).as(to).isEqualTo(400);
                assertThat(refused.body()).as(to).startsWith("to: ");
            }
            try (RawConnection raw = RawConnection.open(gateway.port())) {
                raw.send("GET " + seatBase + "%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                String answer = raw.readUntilClosed();
                assertThat(RawConnection.status(answer)).isEqualTo(400);
                assertThat(answer).contains("percent-escape");
            }
            assertThat(gateway.get(PREFIX + "room/seat?to=/x", "X-Client", "h").body())
                    .isEqualTo("token: required\n");
            HttpResponse<String> forged = gateway.get(seatBase + "/x", "X-Client", "h");
            assertThat(forged.statusCode())
                    .as("a forged pass: back to the page, no seat")
                    .isEqualTo(303);
            assertThat(forged.headers().firstValue("Set-Cookie")).isEmpty();

            String enqueue = PREFIX + "room/queue/enqueue";
            assertThat(gateway.post(enqueue, "", "X-Client", "h").statusCode()).isEqualTo(422);
            HttpResponse<String> long422 = gateway.post(enqueue, "", "X-Client", "h", "user_id", "u".repeat(5000));
            assertThat(long422.statusCode()).isEqualTo(422);
            assertThat(long422.body()).contains("user_id").hasSizeLessThan(1000);
            assertThat(gateway.post(enqueue, "", "X-Client", "h", "user_id", "a b")
                            .statusCode())
                    .isEqualTo(422);
            assertThat(gateway.post(enqueue, "", "X-Client", "h", "user_id", "u", "X-Gatehouse-Room", "other")
                            .statusCode())
                    .isEqualTo(404);
            HttpResponse<String> get = gateway.get(enqueue, "X-Client", "h");
            assertThat(get.statusCode()).isEqualTo(405);
            assertThat(get.headers().firstValue("Allow")).hasValue("POST");

            String status = PREFIX + "room/queue/status";
            assertThat(gateway.get(status, "X-Client", "h").statusCode()).isEqualTo(401);
            assertThat(gateway.get(status, "X-Client", "h", "jwt", "e30.e30.x").statusCode())
                    .isEqualTo(401);
            assertThat(gateway.get(status, "X-Client", "h", "jwt", "x".repeat(10_000))
                            .statusCode())
                    .isEqualTo(401);

            // a flood of joins from one client: 3 a minute, then 429 with when to try again
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                statuses.add(gateway.post(enqueue, "", "X-Client", "flood", "user_id", "f" + i)
                        .statusCode());
            }
            assertThat(statuses).containsExactly(200, 200, 200, 429, 429, 429);
            assertThat(gateway.post(enqueue, "", "X-Client", "flood", "user_id", "f9")
                            .headers()
                            .firstValue("Retry-After"))
                    .isPresent();

            // a request that is no page view gets 503 with Retry-After, and its body reaches nobody
            HttpResponse<String> post = gateway.post("/checkout", "card=1", "X-Client", "h");
            assertThat(post.statusCode()).isEqualTo(503);
            assertThat(post.headers().firstValue("Retry-After")).hasValue("10");
            assertThat(upstream.seen()).isEmpty();

            // seat cookies that are no seat: too long, not ours, malformed
            for (String seat : List.of("x".repeat(5000), "1.2.3", "..", "9999999999999999.a.b", "1.%zz.x")) {
                assertThat(gateway.get("/", "X-Client", "h", "Cookie", "gatehouse_seat=" + seat)
                                .body())
                        .as(seat)
                        .contains("gatehouse-page");
            }
            try (RawConnection raw = RawConnection.open(gateway.port())) {
                raw.send("GET / HTTP/1.1\r\nHost: x\r\nX-Client: h\r\nCookie: gatehouse_seat=\u00ff\u00fe\r\n"
                        + "Connection: close\r\n\r\n");
                assertThat(RawConnection.status(raw.readUntilClosed())).isEqualTo(200);
            }
            assertThat(upstream.seen()).isEmpty();
        }
    }

    @Test
    void aFileWithoutPathsOrWithoutAWayInIsRefusedNamingTheKey() {
        for (String[] bad : new String[][] {
            {"  capacity: 1\n", "waiting_room.paths: required"},
            {"  paths: [/]\n", "waiting_room.capacity: neither capacity"},
            {"  paths: [shop]\n  capacity: 1\n", "waiting_room.paths: \"shop\" is not a path prefix"},
            {"  paths: [/]\n  capacity: 1\n  session: 10s\n", "waiting_room.session: whole seconds from 1m to 1h"},
            {"  paths: [/]\n  capacity: 1\n  page: {return_url: https://x.example}\n", "waiting_room.page.return_url"},
            {"  paths: [/]\n  capacity: 1\n  page: {colors: {accent: red}}\n", "waiting_room.page.colors.accent"},
            {"  paths: [/]\n  capacity: 1\n  bogus: 1\n", "waiting_room.bogus: unknown key"},
        }) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> dev.gatehouse.gateway.config.GatewayConfig.parse(config(bad[0])))
                    .as(bad[0])
                    .hasMessageContaining(bad[1]);
        }
    }

    private String enqueue(TestGateway gateway, String client, String user) throws IOException {
        HttpResponse<String> enqueued = gateway.post(
                PREFIX + "room/queue/enqueue", "", "X-Client", client, "user_id", user, "X-Gatehouse-Room", "site");
        assertThat(enqueued.statusCode()).as(enqueued.body()).isEqualTo(200);
        return JSON.readTree(enqueued.body()).get("jwt").asText();
    }

    private JsonNode status(TestGateway gateway, String client, String token) throws IOException {
        HttpResponse<String> status = gateway.get(PREFIX + "room/queue/status", "X-Client", client, "jwt", token);
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        return JSON.readTree(status.body());
    }

    private String takeSeat(TestGateway gateway, String client, String pass, String to) {
        HttpResponse<String> seated =
                gateway.get(PREFIX + "room/seat?to=" + encode(to) + "&token=" + encode(pass), "X-Client", client);
        assertThat(seated.statusCode()).isEqualTo(303);
        assertThat(seated.headers().firstValue("Location")).hasValue(to);
        return cookie(seated, "gatehouse_seat");
    }

    private static String cookie(HttpResponse<String> response, String name) {
        String header = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(name + "="))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " cookie in " + response.headers()));
        assertThat(header).contains("HttpOnly").contains("SameSite=Lax");
        return header.substring(0, header.indexOf(';'));
    }

    private static JsonNode pageConfig(String html) throws IOException {
        Matcher matcher = CONFIG.matcher(html);
        assertThat(matcher.find()).as("the page's config").isTrue();
        return JSON.readTree(matcher.group(1));
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** {@code text} with what a URL cannot carry escaped, escapes already in it kept. */
    private static String encodeLoosely(String text) {
        return encode(URLDecoder.decode(text, StandardCharsets.UTF_8));
    }
}
