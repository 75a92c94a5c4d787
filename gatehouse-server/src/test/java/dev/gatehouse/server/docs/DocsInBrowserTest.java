package dev.gatehouse.server.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.testing.browser.HeadlessChromium;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /docs and /redoc in a real browser that can reach 127.0.0.1 only: each page renders every
 * operation, throws nothing, and makes no request that leaves this server.
 */
class DocsInBrowserTest {

    /** The operations of the OpenAPI document, each rendered once by each UI. */
    private static final int OPERATIONS = 19;

    @TempDir
    static Path profile;

    private static DocsServer server;
    private static HeadlessChromium browser;

    @BeforeAll
    static void start() {
        Path chromium = HeadlessChromium.required();
        server = DocsServer.start();
        browser = HeadlessChromium.start(chromium, profile);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void swaggerUi_rendersEveryOperation_fromThisServerAlone() {
        HeadlessChromium.Page page = browser.newPage();
        try {
            page.open(server.origin() + "/docs");

            JsonNode rendered = page.evaluate(untilCount(".opblock", OPERATIONS));
            assertThat(rendered.asInt()).isEqualTo(OPERATIONS);
            assertThat(page.evaluate("document.querySelector('.info .title').textContent")
                            .asText())
                    .startsWith("Gatehouse");
            assertOnlyThisServerWasAsked(page);
        } finally {
            page.close();
        }
    }

    @Test
    void redoc_rendersEveryOperation_fromThisServerAlone() {
        HeadlessChromium.Page page = browser.newPage();
        try {
            page.open(server.origin() + "/redoc");

            JsonNode rendered = page.evaluate(untilCount("[data-section-id^='operation/']", OPERATIONS));
            assertThat(rendered.asInt()).isEqualTo(OPERATIONS);
            assertThat(page.evaluate("document.querySelector('.api-info h1').textContent")
                            .asText())
                    .startsWith("Gatehouse");
            assertOnlyThisServerWasAsked(page);
        } finally {
            page.close();
        }
    }

    /**
     * A promise of the number of elements matching {@code selector}, resolved once there are at
     * least {@code count}, rejected (with the number found) after a bounded wait for rendering.
     */
    private static String untilCount(String selector, int count) {
        return """
                new Promise((resolve, reject) => {
                  const deadline = Date.now() + %d;
                  const check = () => {
                    const found = document.querySelectorAll("%s").length;
                    if (found >= %d) resolve(found);
                    else if (Date.now() > deadline) reject(new Error("rendered " + found + " of %d"));
                    else setTimeout(check, 25);
                  };
                  check();
                })""".formatted(HeadlessChromium.BOUND.toMillis() / 2, selector.replace("\"", "\\\""), count, count);
    }

    /**
     * Every request the page sent went to this server (or was data: or blob:, which never leave the
     * page); a request for another origin was refused by the page's Content-Security-Policy before
     * it was sent. Nothing threw, and the console holds no error but those refusals.
     */
    private void assertOnlyThisServerWasAsked(HeadlessChromium.Page page) {
        String origin = server.origin() + "/";
        List<String> local = new ArrayList<>();
        List<String> elsewhere = new ArrayList<>();
        for (JsonNode request : page.events("Network.requestWillBeSent")) {
            String url = request.at("/request/url").asText();
            if (url.startsWith(origin)) {
                local.add(url);
            } else if (!url.startsWith("data:") && !url.startsWith("blob:")) {
                elsewhere.add(request.get("requestId").asText() + " " + url);
            }
        }
        List<String> refusedByPolicy = new ArrayList<>();
        List<String> failedOtherwise = new ArrayList<>();
        for (JsonNode failure : page.events("Network.loadingFailed")) {
            String id = failure.get("requestId").asText();
            if ("csp".equals(failure.path("blockedReason").asText())) {
                refusedByPolicy.add(id);
            } else {
                failedOtherwise.add(id + " " + failure);
            }
        }
        List<String> answeredElsewhere = new ArrayList<>();
        for (JsonNode response : page.events("Network.responseReceived")) {
            String url = response.at("/response/url").asText();
            if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) {
                answeredElsewhere.add(url);
            } else if (url.startsWith(origin)) {
                assertThat(response.at("/response/status").asInt()).as(url).isEqualTo(200);
            }
        }

        assertThat(local).anyMatch(url -> url.endsWith("/openapi.json"));
        assertThat(local).anyMatch(url -> url.contains("/docs/assets/") && url.endsWith(".js"));
        assertThat(answeredElsewhere).isEmpty();
        assertThat(elsewhere)
                .allSatisfy(request -> assertThat(refusedByPolicy)
                        .as("refused by the page's policy before it was sent: " + request)
                        .contains(request.substring(0, request.indexOf(' '))));
        assertThat(failedOtherwise).isEmpty();
        assertThat(page.events("Runtime.exceptionThrown")).isEmpty();
        assertThat(page.events("Runtime.consoleAPICalled"))
                .noneMatch(call -> "error".equals(call.path("type").asText()));
        assertThat(page.events("Log.entryAdded"))
                .filteredOn(entry -> "error".equals(entry.at("/entry/level").asText()))
                .allSatisfy(entry -> assertThat(entry.at("/entry/text").asText())
                        .as("only the policy's refusals are errors")
                        .contains("Content Security Policy"));
    }
}
