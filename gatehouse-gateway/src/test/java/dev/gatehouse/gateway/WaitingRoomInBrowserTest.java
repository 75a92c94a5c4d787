package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.browser.HeadlessChromium;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's waiting room in real browsers (Debian's headless Chromium, two browser contexts as
 * two visitors): with one seat, the first visitor goes through the waiting page to the site; the
 * second waits on the page, shown first in line, and gets through by itself once the first leaves.
 */
final class WaitingRoomInBrowserTest {

    @TempDir
    Path profile;

    private TestUpstream upstream;
    private TestGateway gateway;
    private HeadlessChromium browser;

    @BeforeEach
    void start() {
        Path chromium = HeadlessChromium.required();
        upstream = TestUpstream.start();
        gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                waiting_room:
                  paths: [/shop]
                  capacity: 1
                  page: {title: The drop}
                """);
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
    void theSecondVisitorWaitsOnThePageAndGetsInWhenTheFirstLeaves() {
        String site = "http://127.0.0.1:" + gateway.port();
        HeadlessChromium.Page first = browser.newSeparatePage();
        HeadlessChromium.Page second = browser.newSeparatePage();
        try {
            first.open(site + "/shop/item?id=1");
            assertThat(first.awaitText(text -> text.startsWith("upstream "))).isEqualTo("upstream /shop/item?id=1");
            assertThat(first.evaluate("document.cookie").asText())
                    .as("the seat cookie is HttpOnly")
                    .isEmpty();

            second.open(site + "/shop/item?id=2");
            assertThat(second.awaitText(text -> text.contains("You are number 1 in line")))
                    .contains("The drop");
            assertThat(upstream.seen())
                    .filteredOn(seen -> seen.uri().startsWith("/shop"))
                    .as("only the seated visitor reached the site")
                    .hasSize(1);

            first.open(site + "/__gatehouse__/room/leave?to=/bye"); // a page whose button leaves
            // submitted after the call has answered, so that the page's leaving never cuts the answer off
            first.act("setTimeout(() => document.querySelector('form').submit())");
            assertThat(first.awaitText(text -> text.startsWith("upstream "))).isEqualTo("upstream /bye");

            assertThat(second.awaitText(text -> text.startsWith("upstream ")))
                    .as("the page moved on by itself, with the seat")
                    .isEqualTo("upstream /shop/item?id=2");
            first.open(site + "/shop/item?id=3");
            assertThat(first.awaitText(text -> text.contains("You are number") || text.contains("Getting you")))
                    .as("the one who left waits again")
                    .doesNotStartWith("upstream ");
        } finally {
            first.close();
            second.close();
        }
    }
}
