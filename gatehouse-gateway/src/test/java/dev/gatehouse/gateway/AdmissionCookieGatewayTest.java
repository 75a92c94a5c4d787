package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.ManualClock;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Protected paths: no cookie (or a bad one) and a browser gets the challenge page, an API client a
 * 401 with a challenge; a solved challenge sets the cookie, which then admits until its life is over.
 */
final class AdmissionCookieGatewayTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManualClock clock = new ManualClock();
    private TestUpstream upstream;
    private TestGateway gateway;

    @BeforeEach
    void start() {
        upstream = TestUpstream.start();
        gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                admission: {protect: [/shop], secret: 0123456789abcdef0123456789abcdef, cookie_ttl: 10m}
                """, clock);
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.close();
    }

    @Test
    void anApiClientWithoutTheCookieGetsA401WithAChallenge() throws Exception {
        HttpResponse<String> refused = gateway.get("/shop/cart", "Accept", "application/json");

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode body = JSON.readTree(refused.body());
        assertThat(body.get("error").asText()).isEqualTo("admission required");
        assertThat(body.get("challenge").get("payload").asText()).hasSize(32);
        assertThat(body.get("solve").asText()).isEqualTo("/__gatehouse__/solve");
        assertThat(upstream.seen()).isEmpty();
    }

    @Test
    void aBrowserWithoutTheCookieGetsTheChallengePage() throws Exception {
        HttpResponse<String> page = gateway.get("/shop", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8");

        assertThat(page.statusCode()).isEqualTo(401);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(
                        csp -> assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe-eval"));
        assertThat(page.body())
                .contains("<script src=\"/__gatehouse__/assets/challenge.js\" data-prefix=\"/__gatehouse__/\"")
                .contains("<noscript>");
        assertThat(gateway.get("/__gatehouse__/assets/challenge.js").headers().firstValue("Content-Type"))
                .hasValue("text/javascript; charset=utf-8");
        // the worker and its solver are the browser SDK's own files (clients/js/src), as tested there
        assertThat(gateway.get("/__gatehouse__/assets/pow-worker.js").body())
                .isEqualTo(Files.readString(Path.of("..", "clients", "js", "src", "pow-worker.js")));
        assertThat(gateway.get("/__gatehouse__/assets/pow.js").body()).contains("crypto?.subtle");
    }

    @Test
    void aSolvedChallengeSetsTheCookieWhichAdmitsUntilItsLifeIsOver() throws Exception {
        HttpResponse<String> solved = solve();
        String setCookie = solved.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie)
                .startsWith("gatehouse_admission=")
                .contains("; Path=/; Max-Age=600; HttpOnly; SameSite=Lax")
                .doesNotContain("Secure");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));

        HttpResponse<String> admitted = gateway.get("/shop/cart", "Cookie", cookie);

        assertThat(admitted.statusCode()).isEqualTo(200);
        assertThat(admitted.body()).isEqualTo("upstream /shop/cart");
        clock.advance(Duration.ofMinutes(10));
        assertThat(gateway.get("/shop/cart", "Cookie", cookie).statusCode())
                .as("replayed past its life")
                .isEqualTo(401);
    }

    @Test
    void theCookieIsSecureWhenTheClientCameOverTls() throws Exception {
        HttpResponse<String> solved = solve("X-Forwarded-Proto", "https");

        assertThat(solved.headers().firstValue("Set-Cookie"))
                .hasValueSatisfying(c -> assertThat(c).endsWith("; Secure"));
    }

    @Test
    void aForgedCookieAndOtherSpellingsOfTheProtectedPathAreRefused() {
        assertThat(gateway.get("/shop", "Cookie", "gatehouse_admission=99999999999.AAAA")
                        .statusCode())
                .isEqualTo(401);
        assertThat(gateway.get("//shop").statusCode())
                .as("read as a host by URL parsers: refused whatever the path")
                .isEqualTo(400);
        assertThat(gateway.get("/public/..%2fshop").statusCode())
                .as("no dot segment is proxied")
                .isEqualTo(400);
        assertThat(gateway.get("/%73hop").statusCode()).isEqualTo(401);
        assertThat(upstream.seen()).isEmpty();
    }

    @Test
    void pathsOutsideTheProtectedPrefixesPassWithoutACookie() {
        assertThat(gateway.get("/public/page").statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> solve(String... headers) throws Exception {
        JsonNode challenge = JSON.readTree(gateway.get("/shop").body()).get("challenge");
        String nonce = GatewayTest.solve(
                challenge.get("payload").asText(), challenge.get("difficulty").asInt());
        HttpResponse<String> solved = gateway.post(
                "/__gatehouse__/solve",
                "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}",
                headers);
        assertThat(solved.statusCode()).as(solved.body()).isEqualTo(200);
        return solved;
    }
}
