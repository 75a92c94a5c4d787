package dev.gatehouse.server.room;

import static dev.gatehouse.server.room.RoomApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.http.page.NoScriptPage;
import dev.gatehouse.http.page.PageLook;
import dev.gatehouse.http.page.WaitingPage;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.RawConnection;
import dev.gatehouse.waitingroom.Tenant;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosted waiting page, its look from the pages file, and the page for browsers without JavaScript. */
class RoomPagesTest {

    private static final String ROOM = Tenant.ofBusinessId(RoomApiTest.KEY).id();
    private static final Pattern CONFIG =
            Pattern.compile("<script type=\"application/json\" id=\"gatehouse-page\">(.*?)</script>", Pattern.DOTALL);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private TestServer server;

    private Path pages;

    @BeforeEach
    void start() throws IOException {
        pages = dir.resolve("pages.yml");
        Files.writeString(pages, """
                "*":
                  title: Every room
                %s:
                  title: "Spring </script><b>drop</b>"
                  logo_url: https://cdn.example/logo.svg
                  return_url: https://shop.example/checkout?step=2#pay
                  token_param: gh
                  default_language: en
                  languages:
                    de:
                      position: "Sie sind Nummer {position}."
                      noscript: Ohne JavaScript geht es hier weiter.
                  colors:
                    accent: "#FF6600"
                    background: "#fff"
                """.formatted(ROOM));
        server = TestServer.start(
                Map.of(
                        RoomSettings.BUSINESS_IDS,
                        RoomApiTest.KEY + ":" + RoomApiTest.OTHER_KEY,
                        RoomSettings.JWT_SECRET,
                        RoomApiTest.SECRET,
                        RoomSettings.PAGES_FILE,
                        pages.toString()),
                clock);
        clock.advanceNanos(0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static JsonNode config(HttpResponse<String> page) throws IOException {
        Matcher matcher = CONFIG.matcher(page.body());
        assertThat(matcher.find()).as(page.body()).isTrue();
        return new ObjectMapper().readTree(matcher.group(1));
    }

    @Test
    void thePageCarriesTheRoomsLookAndCannotBeBrokenOutOf() throws IOException {
        HttpResponse<String> page = server.get("/wait/" + ROOM + "?user=alice%3Cx%3E&lang=de-CH");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(WaitingPage.POLICY);
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(page.body())
                .contains("<html lang=\"de\"")
                .contains("Spring &lt;/script&gt;&lt;b&gt;drop&lt;/b&gt;")
                .contains("/wait/" + ROOM + "/theme.css")
                .contains("/wait/" + ROOM + "/nojs?user=alice%3Cx%3E")
                .contains("Ohne JavaScript geht es hier weiter.")
                .doesNotContain("{{")
                .doesNotContain("<b>drop</b>");
        JsonNode config = config(page);
        assertThat(config.get("room").asText()).isEqualTo(ROOM);
        assertThat(config.get("title").asText()).isEqualTo("Spring </script><b>drop</b>");
        assertThat(config.get("user").asText()).isEqualTo("alice<x>");
        assertThat(config.get("return_url").asText()).isEqualTo("https://shop.example/checkout?step=2#pay");
        assertThat(config.get("token_param").asText()).isEqualTo("gh");
        assertThat(config.get("languages").get("de").get("position").asText()).isEqualTo("Sie sind Nummer {position}.");

        JsonNode other = config(
                server.get("/wait/" + Tenant.ofBusinessId(RoomApiTest.OTHER_KEY).id()));
        assertThat(other.get("title").asText()).isEqualTo("Every room");
        assertThat(other.get("user").isNull()).isTrue();
    }

    @Test
    void theThemeTheAssetsAndTheRefusals() {
        HttpResponse<String> theme = server.get("/wait/" + ROOM + "/theme.css");
        assertThat(theme.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(theme.body()).isEqualTo(":root {\n  --gh-background: #fff;\n  --gh-accent: #ff6600;\n}\n");

        String assets = RoomPages.PAGE.assets();
        assertThat(assets).matches("/wait/assets/[0-9a-f]{12}/");
        assertThat(server.get("/wait/" + ROOM).body()).contains("href=\"" + assets + "page/waiting.css\"");
        HttpResponse<String> sdk = server.get(assets + "src/gatehouse.js");
        assertThat(sdk.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(sdk.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(server.get(assets + "page/waiting.js").statusCode()).isEqualTo(200);
        assertThat(server.get(assets + "page/waiting.css").headers().firstValue("Content-Type"))
                .hasValue("text/css; charset=utf-8");
        assertThat(server.get(assets + "page/waiting.html").statusCode()).isEqualTo(404);
        assertThat(server.get(assets + "page/other.js").statusCode()).isEqualTo(404);
        assertThat(server.get("/wait/assets/000000000000/src/gatehouse.js").statusCode())
                .isEqualTo(404);
        assertThat(server.get(assets + "src/../../../etc/passwd").statusCode()).isIn(400, 404);

        assertThat(server.get("/wait/key-0000000000000000").statusCode()).isEqualTo(404);
        assertThat(server.get("/wait/key-0000000000000000/nojs").statusCode()).isEqualTo(404);
        HttpResponse<String> tooLong = server.get("/wait/" + ROOM + "?user=" + "u".repeat(257));
        assertThat(tooLong.statusCode()).isEqualTo(422);
        assertThat(json(tooLong).get("detail").get(0).get("loc").toString()).isEqualTo("[\"query\",\"user\"]");
        for (String user : new String[] {"%20alice", "alice%20", "a%0Ab", "a%00b"}) {
            for (String page : new String[] {"", "/nojs"}) {
                HttpResponse<String> refused = server.get("/wait/" + ROOM + page + "?user=" + user);
                assertThat(refused.statusCode()).as(page + " " + user).isEqualTo(422);
                assertThat(json(refused).get("detail").get(0).get("type").asText())
                        .isEqualTo("string_pattern_mismatch");
            }
        }
    }

    private HttpResponse<String> noScript(String query, Optional<String> cookie) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.rate("/wait/" + ROOM + "/nojs" + query))
                .timeout(Duration.ofSeconds(10))
                .GET();
        cookie.ifPresent(value -> request.header("Cookie", value));
        return server.send(request.build());
    }

    /** The visitor's click on the no-JavaScript page's join button: a POST, answered 303 back to the page. */
    private HttpResponse<String> join(String query) {
        return server.send(HttpRequest.newBuilder(server.rate("/wait/" + ROOM + "/nojs" + query))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    }

    private static String cookie(HttpResponse<String> response) {
        String set = response.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(set)
                .startsWith(RoomPages.COOKIE + "=")
                .contains("Path=/wait/" + ROOM + "/")
                .contains("HTTPOnly")
                .contains("SameSite=Lax");
        return set.substring(0, set.indexOf(';'));
    }

    @Test
    void withoutJavaScriptTheVisitorQueuesByCookieAndIsSentOnWithTheToken() {
        HttpResponse<String> configured = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 0}"))
                .build());
        assertThat(configured.statusCode()).isEqualTo(200);
        server.send("POST", "/queue/enqueue", "business_id", RoomApiTest.KEY, "user_id", "ahead");

        HttpResponse<String> preview = noScript("?user=bob", Optional.empty());
        assertThat(preview.body())
                .as("a GET (a link preview, a prefetch) queues nobody: the visitor presses the button")
                .contains("<form method=\"post\" action=\"/wait/" + ROOM + "/nojs?user=bob\">")
                .doesNotContain("number");
        assertThat(preview.headers().firstValue("Set-Cookie")).isEmpty();
        HttpResponse<String> joined = join("?user=bob");
        assertThat(joined.statusCode()).isEqualTo(303);
        assertThat(joined.headers().firstValue("Location")).hasValue("/wait/" + ROOM + "/nojs?user=bob");
        String cookie = cookie(joined);
        HttpResponse<String> first = noScript("?user=bob", Optional.of(cookie));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Security-Policy")).hasValue(WaitingPage.POLICY);
        assertThat(first.body())
                .contains("You are number 2 in line")
                .contains("<meta http-equiv=\"refresh\" content=\"")
                .doesNotContain("<script");

        HttpResponse<String> again = noScript("", Optional.of(cookie));
        assertThat(again.body()).contains("You are number 2 in line");
        HttpResponse<String> stolen = join("?user=bob");
        assertThat(stolen.statusCode()).isEqualTo(200);
        assertThat(stolen.body()).contains("already waiting");
        assertThat(stolen.headers().firstValue("Set-Cookie")).isEmpty();

        HttpResponse<String> admitted = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 10}"))
                .build());
        assertThat(admitted.statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(5));

        HttpResponse<String> ready = noScript("", Optional.of(cookie));
        assertThat(ready.statusCode()).isEqualTo(303);
        String location = ready.headers().firstValue("Location").orElseThrow();
        assertThat(location)
                .startsWith("https://shop.example/checkout?step=2&gh=")
                .endsWith("#pay");
        String token = location.substring(location.indexOf("&gh=") + 4, location.indexOf('#'));
        HttpResponse<String> verified =
                server.send("GET", "/queue/verify", "business_id", RoomApiTest.KEY, "jwt", token);
        assertThat(json(verified).get("ready").asBoolean()).isTrue();
    }

    /** The server's English texts (for a look that gives none) are the JavaScript page's own words. */
    @Test
    void theServersTextsAreThePagesOwn() throws IOException {
        String model = Files.readString(Path.of("..", "clients", "js", "page", "waiting-model.js"))
                .replace("'\n    + '", ""); // texts split over lines
        assertThat(model).contains("noscript: '" + WaitingPage.NOSCRIPT_TEXT + "'");
        NoScriptPage.TEXTS.forEach((key, text) -> {
            if (!NoScriptPage.OWN.contains(key)) {
                assertThat(model).as(key).contains("  " + key + ": '" + text + "',");
            }
        });
        assertThat(NoScriptPage.countdown(3_723)).isEqualTo("1:02:03");
        assertThat(NoScriptPage.countdown(245)).isEqualTo("4:05");
    }

    /** After an attacker's probe: a lapsed place, another user's cookie, and one id for both pages. */
    @Test
    void withoutJavaScriptALapsedPlaceRejoinsAnotherUsersCookieIsNotTheirsAndIdsAreThePagesOwn() {
        HttpResponse<String> configured = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 0}"))
                .build());
        assertThat(configured.statusCode()).isEqualTo(200);
        String alice = cookie(join("?user=alice"));
        assertThat(noScript("", Optional.of(alice)).body()).contains("You are number 1 in line");

        assertThat(noScript("?user=bob", Optional.of(alice)).body())
                .as("alice's cookie does not answer for bob")
                .contains("<form method=\"post\"");
        HttpResponse<String> bob = join("?user=bob");
        String bobs = cookie(bob);
        assertThat(noScript("?user=bob", Optional.of(bobs)).body()).contains("You are number 2 in line");
        assertThat(bobs).isNotEqualTo(alice);

        String jwt = alice.substring(alice.indexOf('=') + 1);
        HttpResponse<String> finished =
                server.send("DELETE", "/queue/finish", "business_id", RoomApiTest.KEY, "jwt", jwt);
        assertThat(json(finished).get("status").asText()).isEqualTo("not_ready"); // queued: she stays
        HttpResponse<String> abandoned = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"abandon_after_seconds\": 60}"))
                .build());
        assertThat(abandoned.statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(30));
        noScript("", Optional.of(bobs)); // bob is seen; alice is not
        clock.advance(Duration.ofSeconds(31)); // alice, unseen for 61 s, loses her place
        assertThat(noScript("", Optional.of(alice)).body())
                .as("a lapsed place: the button again")
                .contains("<form");
        HttpResponse<String> rejoined = join("?user=alice");
        assertThat(noScript("?user=alice", Optional.of(cookie(rejoined))).body())
                .as("queued again, at the back")
                .contains("You are number 2 in line");

        HttpResponse<String> zoe = join("?user=zo%C3%A9");
        assertThat(noScript("?user=zo%C3%A9", Optional.of(cookie(zoe))).body()).contains("You are number 3 in line");
        try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
            connection.send(("POST /queue/enqueue HTTP/1.1\r\nHost: x\r\nbusiness_id: " + RoomApiTest.KEY
                            + "\r\nuser_id: zoé\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(connection.readAnswers(1))
                    .as("the page's user_id header names the no-JavaScript page's user")
                    .contains("User is already in the queue.");
        }
        HttpResponse<String> tooLong = server.get("/wait/" + ROOM + "?user=" + "%C3%A9".repeat(129));
        assertThat(tooLong.statusCode()).as("258 bytes in UTF-8").isEqualTo(422);
        assertThat(server.get("/wait/" + ROOM + "?user=" + "%C3%A9".repeat(128)).statusCode())
                .isEqualTo(200);
    }

    /** Under EdDSA the no-JavaScript page hands on the pass a backend checks offline, as the status route does. */
    @Test
    void withoutJavaScriptUnderEdDsaTheVisitorArrivesWithAPass() throws IOException {
        server.close();
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
        String cookie = cookie(join("?user=eve"));
        clock.advance(Duration.ofSeconds(5));

        HttpResponse<String> ready = noScript("", Optional.of(cookie));

        assertThat(ready.statusCode()).isEqualTo(303);
        String location = ready.headers().firstValue("Location").orElseThrow();
        String pass = location.substring(location.indexOf("&gh=") + 4, location.indexOf('#'));
        JsonNode claims =
                new ObjectMapper().readTree(java.util.Base64.getUrlDecoder().decode(pass.split("\\.", -1)[1]));
        assertThat(claims.get("sub").asText()).isEqualTo("eve");
        assertThat(claims.get("rdy").asLong())
                .isGreaterThanOrEqualTo(claims.get("exp").asLong());
    }

    /** Past the per-IP limit, a browser without JavaScript gets a page that refreshes when it may go on. */
    @Test
    void withoutJavaScriptALimitedVisitGetsAPageThatComesBack() {
        HttpResponse<String> configured = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", RoomApiTest.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"ip_enqueue_limit\": 1, \"ip_enqueue_limit_interval\": 30}"))
                .build());
        assertThat(configured.statusCode()).isEqualTo(200);
        assertThat(join("?user=first").statusCode()).isEqualTo(303);

        HttpResponse<String> limited = join("?user=second");

        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(limited.headers().firstValue("Content-Security-Policy")).hasValue(WaitingPage.POLICY);
        String retry = limited.headers().firstValue("Retry-After").orElseThrow();
        assertThat(limited.body())
                .contains("<meta http-equiv=\"refresh\" content=\"" + retry + "\">")
                .contains("Too many enqueue requests from this IP");
    }

    /**
     * Hostile clients of the pages: undecodable escapes, a body where none is read, a flood of page
     * loads that must queue nobody; each answered in words, never with an ERROR or a stack trace.
     */
    @Test
    void hostileClientsOfThePagesAreAnsweredAndQueueNobody() {
        try (dev.gatehouse.testing.http.CapturedLog log = dev.gatehouse.testing.http.CapturedLog.start()) {
            for (String target : new String[] {
                "/wait/" + ROOM + "?user=%zz",
                "/wait/" + ROOM + "/nojs?lang=%",
                "/wait/%zz",
                "/wait/" + ROOM + "/theme.css?x=%"
            }) {
                try (RawConnection connection =
                        RawConnection.open(server.server().ratePort())) {
                    connection.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(RawConnection.status(connection.readAnswers(1)))
                            .as(target)
                            .isEqualTo(400);
                }
            }
            int bigStatus;
            try (RawConnection connection = RawConnection.open(server.server().ratePort())) {
                connection.send("POST /wait/" + ROOM
                        + "/nojs?user=big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(70_000));
                String answer = connection.readUntilClosed();
                bigStatus = RawConnection.status(answer);
                assertThat(bigStatus).as(answer).isIn(303, 413);
            }
            for (int i = 0; i < 300; i++) {
                assertThat(noScript("?user=preview-" + i, Optional.empty()).body())
                        .contains("<form method=\"post\"");
            }
            HttpResponse<String> late = join("?user=after-the-flood");
            assertThat(noScript("?user=after-the-flood", Optional.of(cookie(late)))
                            .body())
                    .as("300 page loads queued nobody ahead")
                    .contains("You are number " + (bigStatus == 303 ? 2 : 1) + " in line");
            log.assertNoErrorOrStackTrace();
        }
    }

    @Test
    void pagesAnswerHeadAsGet() {
        for (String path :
                new String[] {"/wait/" + ROOM, "/wait/" + ROOM + "/theme.css", RoomPages.PAGE.assets() + "src/pow.js"
                }) {
            HttpResponse<String> head = server.send(HttpRequest.newBuilder(server.rate(path))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(head.statusCode()).as(path).isEqualTo(200);
            assertThat(head.body()).as(path).isEmpty();
        }
        HttpResponse<String> posted = server.send("POST", "/wait/" + ROOM);
        assertThat(posted.statusCode()).isEqualTo(405);
        assertThat(posted.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void aRegionalDefaultLanguageSpeaksItsTexts() throws IOException {
        Path path = dir.resolve("regional.yml");
        Files.writeString(
                path, "r:\n  default_language: pt-BR\n  languages:\n    pt-BR: {position: \"Número {position}\"}\n");
        PageLook look = PageLooks.read(Optional.of(path.toString())).of("r");
        assertThat(look.language("", null)).isEqualTo("pt-br");
        assertThat(look.language("pt", null)).isEqualTo("pt-br");
        assertThat(look.text(look.language("", null), "position")).hasValue("Número {position}");
    }

    @Test
    void aTokenGoesOnTheReturnUrlWhateverItsShape() {
        assertThat(RoomPages.withToken("https://a.example/", "t", "x.y")).isEqualTo("https://a.example/?t=x.y");
        assertThat(RoomPages.withToken("https://a.example/p?q=1", "t", "x")).isEqualTo("https://a.example/p?q=1&t=x");
        assertThat(RoomPages.withToken("https://a.example/p?", "t", "x")).isEqualTo("https://a.example/p?t=x");
        assertThat(RoomPages.withToken("https://a.example/p#f?g", "t", "x")).isEqualTo("https://a.example/p?t=x#f?g");
        assertThat(RoomPages.withToken("https://a.example/p?q=1&", "t", "a b"))
                .isEqualTo("https://a.example/p?q=1&t=a+b");
    }

    @Test
    void theLanguageIsTheAskedOneTheBrowsersOrTheDefault() {
        PageLook look = new PageLook(
                "t", null, null, "p", "fr", Map.of("de", Map.of(), "fr", Map.of(), "pt-br", Map.of()), Map.of());
        assertThat(look.language("de", null)).isEqualTo("de");
        assertThat(look.language("DE-at", null)).isEqualTo("de");
        assertThat(look.language("pt-BR", null)).isEqualTo("pt-br");
        assertThat(look.language("xx", "it, de-CH;q=0.8, en;q=0.5")).isEqualTo("de");
        assertThat(look.language("", "it")).isEqualTo("fr");
        assertThat(look.language("", "en-GB")).isEqualTo("en");
        assertThat(look.language("x".repeat(5000), "y".repeat(5000))).isEqualTo("fr");
    }

    @Test
    void aBadPagesFileIsRefusedNamingWhatIsWrong() throws IOException {
        for (String[] file : new String[][] {
            {"r:\n  titel: x\n", "r.titel: unknown key"},
            {"r:\n  colors: {accent: red}\n", "r.colors.accent: \"red\" (expected #rgb or #rrggbb)"},
            {"r:\n  colors: {glow: \"#fff\"}\n", "r.colors.glow: unknown colour"},
            {"r:\n  return_url: \"javascript:alert(1)\"\n", "r.return_url: \"javascript:alert(1)\""},
            {"r:\n  logo_url: /relative.png\n", "r.logo_url: \"/relative.png\" (expected an absolute http or https URL)"
            },
            {"r:\n  token_param: \"a b\"\n", "r.token_param: \"a b\""},
            {"r:\n  languages: {english: {a: b}}\n", "r.languages.english: not a language tag"},
            {"r:\n  languages: {de: {Position: b}}\n", "r.languages.de.Position: not a text key"},
            {"r:\n  title: " + "x".repeat(501) + "\n", "r.title: 501 characters"},
            {"- a list\n", "expected a map from room"},
            {"r: [\n", "not YAML"}
        }) {
            Path path = dir.resolve("bad.yml");
            Files.writeString(path, file[0]);
            assertThatThrownBy(() -> PageLooks.read(Optional.of(path.toString())))
                    .as(file[0])
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("room.pages-file: " + path)
                    .hasMessageContaining(file[1]);
        }
        assertThatThrownBy(() ->
                        PageLooks.read(Optional.of(dir.resolve("missing.yml").toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot be read");
        assertThat(PageLooks.read(Optional.empty()).of("any")).isEqualTo(PageLook.DEFAULT);
    }
}
