package dev.gatehouse.testing.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DevTools driver against a page that keeps replacing itself, as a page on its way out does. */
class HeadlessChromiumTest {

    @TempDir
    Path dir;

    private final AtomicInteger served = new AtomicInteger();
    private HttpServer site;
    private HeadlessChromium browser;

    @BeforeEach
    void start() throws IOException {
        Path chromium = HeadlessChromium.required();
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        site.createContext("/", exchange -> {
            byte[] page = ("<!doctype html><title>again</title><p>" + served.incrementAndGet()
                            + "</p><script>setTimeout(() => location.reload(), 1)</script>")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(page);
            }
        });
        site.start();
        browser = HeadlessChromium.start(chromium, dir.resolve("profile"));
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (site != null) {
            site.stop(0);
        }
    }

    @Test
    void evaluate_answersFromTheNextDocumentWhenThePageNavigatesMeanwhile() {
        String url = "http://127.0.0.1:" + site.getAddress().getPort() + "/";
        HeadlessChromium.Page page = browser.newPage();
        page.open(url);

        int asked = 0;
        while (served.get() < 40) { // each ask below spans a reload or lands next to one
            assertThat(page.evaluate("new Promise(r => setTimeout(() => r(location.href), 3))")
                            .asText())
                    .isEqualTo(url);
            assertThat(page.evaluate("location.href").asText()).isEqualTo(url);
            asked++;
        }

        assertThat(asked).isPositive();
    }
}
