package dev.gatehouse.server.room;

import static dev.gatehouse.server.room.RoomApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.client.OfflineTokenVerifier;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.browser.HeadlessChromium;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hosted waiting page in a real browser (Debian's headless Chromium): six visitors of a room
 * admitting two a second each see their place fall, tick by tick, and end on the business's page
 * with a queue token the backend SDK checks offline as a ready user's pass (EdDSA, the room's JWKS). The room's clock is virtual: a tick happens when the test
 * moves it; the pages poll on the browser's own timers.
 */
final class WaitingPageInBrowserTest {

    private static final String ROOM = Tenant.ofBusinessId(RoomApiTest.KEY).id();
    private static final int VISITORS = 6;
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private HttpServer backend;
    private TestServer server;
    private HeadlessChromium browser;

    @BeforeEach
    void start() throws IOException {
        Path chromium = HeadlessChromium.required();
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        backend.createContext("/done", exchange -> {
            byte[] page =
                    "<!doctype html><title>shop</title><p id=\"backend\">welcome</p>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(page);
            }
        });
        backend.start();
        Path pages = dir.resolve("pages.yml");
        Files.writeString(pages, """
                "*":
                  title: Spring drop
                  return_url: %s/done?from=queue
                """.formatted(backendUrl()));
        server = TestServer.start(
                Map.of(
                        RoomSettings.BUSINESS_IDS,
                        RoomApiTest.KEY,
                        RoomSettings.JWT_SECRET,
                        RoomApiTest.SECRET,
                        RoomSettings.PAGES_FILE,
                        pages.toString(),
                        RoomSettings.TOKEN_ALGORITHM,
                        "EdDSA"),
                clock);
        clock.advanceNanos(0);
        HttpResponse<String> configured = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 2, \"admission_frequency\": 1,"
                        + " \"ip_status_polling_limit\": 100000, \"ip_enqueue_limit\": 1000}"))
                .build());
        assertThat(configured.statusCode()).as(configured.body()).isEqualTo(200);
        browser = HeadlessChromium.start(chromium, dir.resolve("profile"));
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
        if (backend != null) {
            backend.stop(0);
        }
    }

    private String backendUrl() {
        return "http://127.0.0.1:" + backend.getAddress().getPort();
    }

    /** The place a page shows (the number in its position line); 0 when it shows none. */
    private static long shownPlace(HeadlessChromium.Page page) {
        String text = page.evaluate(
                        "(document.getElementById('gh-position') && !document.getElementById('gh-place').hidden)"
                                + " ? document.getElementById('gh-position').textContent : ''")
                .asText();
        String digits = text.replaceAll("\\D", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }

    private static String location(HeadlessChromium.Page page) {
        return page.evaluate("location.href").asText();
    }

    @Test
    void sixVisitorsSeeTheirPlaceFallAndArriveWithATokenTheBackendAccepts() {
        OfflineTokenVerifier backendSdk = OfflineTokenVerifier.builder(server.rate("/"), ROOM)
                .clock(() -> Instant.ofEpochMilli(clock.epochMillis()))
                .build();
        List<HeadlessChromium.Page> pages = new ArrayList<>();
        for (int i = 1; i <= VISITORS; i++) {
            HeadlessChromium.Page page = browser.newPage();
            pages.add(page);
            page.open(server.rate("/wait/" + ROOM + "?user=visitor-" + i).toString());
            int place = i;
            Await.until(PATIENCE, () -> shownPlace(page) == place);
        }
        List<List<Long>> seen = new ArrayList<>();
        pages.forEach(page -> seen.add(new ArrayList<>(List.of(shownPlace(page)))));

        for (int tick = 1; tick * 2 < VISITORS; tick++) {
            clock.advance(Duration.ofSeconds(1)); // two are admitted
            for (int i = 0; i < VISITORS; i++) {
                HeadlessChromium.Page page = pages.get(i);
                long expected = i + 1 - 2L * tick;
                if (expected > 0) {
                    Await.until(PATIENCE, () -> shownPlace(page) == expected);
                    seen.get(i).add(expected);
                }
            }
        }
        clock.advance(Duration.ofSeconds(1));

        for (int i = 0; i < VISITORS; i++) {
            HeadlessChromium.Page page = pages.get(i);
            Await.until(PATIENCE, () -> location(page).startsWith(backendUrl() + "/done"));
            String arrived = location(page);
            assertThat(arrived).startsWith(backendUrl() + "/done?from=queue&gatehouse_token=");
            assertThat(page.evaluate("document.getElementById('backend').textContent")
                            .asText())
                    .isEqualTo("welcome");
            String token = arrived.substring(arrived.indexOf("gatehouse_token=") + "gatehouse_token=".length());
            HttpResponse<String> verified =
                    server.send("GET", "/queue/verify", "business_id", RoomApiTest.KEY, "jwt", token);
            assertThat(json(verified).get("ready").asBoolean())
                    .as("visitor %d", i + 1)
                    .isTrue();
            assertThat(seen.get(i)).as("visitor %d's places", i + 1).isSortedAccordingTo((a, b) -> Long.compare(b, a));
            assertThat(seen.get(i).getFirst()).isEqualTo(i + 1L);
        }
        assertThat(seen.get(VISITORS - 1)).containsExactly(6L, 4L, 2L);
        backendSdk.close();
    }

    /**
     * A room that asks for a proof of work: the page's SDK solves the challenge in a Web Worker,
     * queues with the solution, and the visitor arrives with a token the room verifies.
     */
    @Test
    void inARoomAskingForWorkThePageSolvesItInAWorkerAndTheVisitorArrives() {
        HttpResponse<String> work = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"pow_difficulty\": 12}"))
                .build());
        assertThat(work.statusCode()).as(work.body()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(2)); // past the config cache

        HeadlessChromium.Page page = browser.newPage();
        page.open(server.rate("/wait/" + ROOM + "?user=worker").toString());
        Await.until(PATIENCE, () -> shownPlace(page) == 1);
        clock.advance(Duration.ofSeconds(1));
        Await.until(PATIENCE, () -> location(page).startsWith(backendUrl() + "/done"));
        String arrived = location(page);
        String token = arrived.substring(arrived.indexOf("gatehouse_token=") + "gatehouse_token=".length());
        assertThat(json(server.send("GET", "/queue/verify", "business_id", RoomApiTest.KEY, "jwt", token))
                        .get("ready")
                        .asBoolean())
                .isTrue();
    }

    /**
     * An event: four visitors register before {@code opens_at} (each page shows its ticket), the draw
     * runs, and each page then shows the place that the draw's files give its ticket, as {@code
     * gatehouse verify} finds it (the same checks, {@link DrawVerifier}).
     */
    @Test
    void afterTheDrawEachPageShowsThePlaceTheDrawsFilesGiveItsTicket() throws Exception {
        long now = clock.epochMillis() / 1000;
        HttpResponse<String> event = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 0, \"prequeue_opens_at\": "
                        + (now + 60) + ", \"opens_at\": " + (now + 120) + "}"))
                .build());
        assertThat(event.statusCode()).as(event.body()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(60)); // the pre-queue opens

        List<HeadlessChromium.Page> pages = new ArrayList<>();
        List<String> tickets = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            HeadlessChromium.Page page = browser.newPage();
            pages.add(page);
            page.open(server.rate("/wait/" + ROOM + "?user=fan-" + i).toString());
            Await.until(PATIENCE, () -> !ticketShown(page).isEmpty());
            tickets.add(ticketShown(page));
            assertThat(shownPlace(page)).as("no place before the draw").isZero();
        }

        clock.advance(Duration.ofSeconds(60)); // the draw
        for (HeadlessChromium.Page page : pages) {
            Await.until(PATIENCE, () -> shownPlace(page) > 0);
        }

        byte[] record = server.get("/draw/" + ROOM + "/record").body().getBytes(StandardCharsets.UTF_8);
        DrawRecord checked = DrawVerifier.checkRecord(
                record, null, server.get("/draw/" + ROOM + "/commit").body().getBytes(StandardCharsets.UTF_8));
        List<String> order = DrawVerifier.checkTickets(
                checked, server.get("/draw/" + ROOM + "/tickets").body().getBytes(StandardCharsets.US_ASCII));
        assertThat(order).containsExactlyInAnyOrderElementsOf(tickets);
        for (int i = 0; i < pages.size(); i++) {
            HeadlessChromium.Page page = pages.get(i);
            String ticket = tickets.get(i);
            assertThat(shownPlace(page)).as("fan-%d", i + 1).isEqualTo(order.indexOf(ticket) + 1L);
            String proof = page.evaluate("document.getElementById('gh-draw-proof').href")
                    .asText();
            assertThat(proof).endsWith("/draw/" + ROOM + "/proof?ticket=" + ticket);
            byte[] proofFile = server.get("/draw/" + ROOM + "/proof?ticket=" + ticket)
                    .body()
                    .getBytes(StandardCharsets.UTF_8);
            DrawVerifier.checkInclusion(checked, ticket, proofFile);
        }
    }

    /** The ticket id a page shows (32 hex digits), or "". */
    private static String ticketShown(HeadlessChromium.Page page) {
        String text = page.evaluate(
                        "(document.getElementById('gh-ticket') && !document.getElementById('gh-registration').hidden)"
                                + " ? document.getElementById('gh-ticket').textContent : ''")
                .asText();
        java.util.regex.Matcher ticket =
                java.util.regex.Pattern.compile("[0-9a-f]{32}").matcher(text);
        return ticket.find() ? ticket.group() : "";
    }
}
