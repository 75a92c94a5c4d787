package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.http.RawConnection;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The forward-auth endpoint as Traefik's ForwardAuth and Caddy's forward_auth call it. */
final class ForwardAuthTest {

    private TestUpstream upstream;

    @BeforeEach
    void start() {
        upstream = TestUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void passesWith204AndRefusesAsTheProxyWouldWithTheHeadersTheCallerNeeds() {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                rate_limit: {rps: 0.001, burst: 2}
                admission: {protect: [/shop]}
                forward_auth: {enabled: true}
                """)) {
            HttpResponse<String> passed = gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/public?x=1");
            HttpResponse<String> challenged = gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/shop/cart?x=1");
            gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/public");
            HttpResponse<String> limited = gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/public");
            HttpResponse<String> limitedForNginx =
                    gateway.get("/__gatehouse__/auth?deny=403", "X-Forwarded-Uri", "/public");

            assertThat(passed.statusCode()).isEqualTo(204);
            assertThat(challenged.statusCode()).isEqualTo(401);
            assertThat(challenged.body()).contains("\"challenge\":");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After")).isPresent();
            assertThat(limitedForNginx.statusCode()).isEqualTo(403);
            assertThat(limitedForNginx.headers().firstValue("X-Gatehouse-Status"))
                    .hasValue("429");
            assertThat(upstream.seen()).as("forward auth never proxies").isEmpty();
        }
    }

    @Test
    void refusesWith503WhileTheBreakerIsOpen() {
        upstream.answerWith(500);
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                circuit_breaker: {min_samples: 2, cooldown: 1h}
                forward_auth: {enabled: true}
                """)) {
            assertThat(gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/")
                            .statusCode())
                    .isEqualTo(204);
            gateway.get("/");
            gateway.get("/");

            HttpResponse<String> refused = gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/");

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).isEqualTo("service temporarily unavailable\n");
        }
    }

    @Test
    void refusesToJudgeWithoutTheUriOfTheRequest() {
        try (TestGateway gateway =
                TestGateway.start("upstream: " + upstream.url() + "\nforward_auth: {enabled: true}\n")) {
            HttpResponse<String> response = gateway.get("/__gatehouse__/auth", "X-Original-URI", "/");

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).contains("X-Forwarded-Uri required");
        }
    }

    @Test
    void refusesToJudgeWhenTheUriOfTheRequestIsGivenTwice() {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                admission: {protect: [/shop]}
                forward_auth: {enabled: true}
                """)) {
            // a proxy that appends its header to the client's own: the client's must not be the one judged
            HttpResponse<String> response =
                    gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/", "X-Forwarded-Uri", "/shop/cart");

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).contains("X-Forwarded-Uri given 2 times (expected: once)");
        }
    }

    @Test
    void judgesTheForwardedPathAsStrictlyAsTheProxyDoes() {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                admission: {protect: [/shop]}
                forward_auth: {enabled: true}
                """)) {
            for (String uri : new String[] {"/%252e%252e/shop", "/%2573hop", "http://a/shop", "/x/../shop"}) {
                HttpResponse<String> response = gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", uri);
                assertThat(response.statusCode()).as(uri).isEqualTo(400);
            }
            assertThat(gateway.get("/__gatehouse__/auth", "X-Forwarded-Uri", "/%C5%BFhop")
                            .statusCode())
                    .as("the long s is an s")
                    .isEqualTo(401);
        }
    }

    @Test
    void is404WhenOff() {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n")) {
            HttpResponse<String> response = gateway.get("/__gatehouse__/auth");

            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(response.body()).isEqualTo("{\"error\":\"forward_auth not configured\"}\n");
        }
    }

    @Test
    void aQueryWhoseEscapesDoNotDecodeIs400() {
        try (TestGateway gateway =
                        TestGateway.start("upstream: " + upstream.url() + "\nforward_auth: {enabled: true}\n");
                RawConnection connection = RawConnection.open(gateway.port())) {
            String answer = connection
                    .send("GET /__gatehouse__/auth?deny=% HTTP/1.1\r\nHost: x\r\nX-Forwarded-Uri: /\r\n"
                            + "Connection: close\r\n\r\n")
                    .readUntilClosed();

            assertThat(answer)
                    .startsWith("HTTP/1.1 400")
                    .contains("malformed query: a percent-escape that does not decode");
        }
    }
}
