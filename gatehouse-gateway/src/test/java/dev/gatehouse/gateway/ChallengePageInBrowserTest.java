package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.browser.HeadlessChromium;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The challenge page in a real browser (Debian's headless Chromium): a protected page is reached
 * after the page's Web Worker solved the challenge and the gateway set the cookie; the cookie, past
 * its life, is refused.
 */
final class ChallengePageInBrowserTest {

    @TempDir
    Path profile;

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private TestUpstream upstream;
    private TestGateway gateway;
    private HeadlessChromium browser;

    @BeforeEach
    void start() {
        Path chromium = HeadlessChromium.required();
        upstream = TestUpstream.start();
        gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 10, max_difficulty: 10}
                admission: {protect: [/shop], cookie_ttl: 10m}
                """, clock);
        browser = HeadlessChromium.start(chromium, profile);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void theProtectedPageIsReachedOnceThePageHasSolvedTheChallenge() {
        HeadlessChromium.Page page = browser.newPage();
        try {
            page.open("http://127.0.0.1:" + gateway.port() + "/shop/item");

            assertThat(page.awaitText(text -> text.startsWith("upstream "))).isEqualTo("upstream /shop/item");
            assertThat(upstream.seen())
                    .filteredOn(seen -> seen.uri().startsWith("/shop"))
                    .hasSize(1);
            assertThat(page.evaluate("document.cookie").asText())
                    .as("HttpOnly: not readable by scripts")
                    .isEmpty();

            clock.advance(Duration.ofMinutes(10));
            assertThat(page.act("fetch('/shop/item', {headers: {Accept: 'application/json'}}).then(r => r.status)")
                            .asInt())
                    .as("the cookie replayed past its life")
                    .isEqualTo(401);
        } finally {
            page.close();
        }
    }
}
