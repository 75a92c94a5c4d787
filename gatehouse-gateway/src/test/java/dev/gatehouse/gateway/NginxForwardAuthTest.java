package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward-auth endpoint behind a real nginx ({@code auth_request}, Debian's nginx-light) in
 * front of a test upstream, configured as docs/gateway.md says: admitted requests reach the
 * upstream, a protected path without the cookie gets the challenge (page or JSON), a solved
 * challenge's cookie admits, and the rate limit answers 429 with Retry-After through nginx.
 */
final class NginxForwardAuthTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private TestUpstream upstream;
    private TestGateway gateway;
    private TestNginx nginx;
    private int port;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start();
        gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                rate_limit: {rps: 0.001, burst: 5}
                admission: {protect: [/shop], secret: 0123456789abcdef0123456789abcdef}
                identity: {from: forwarded_for, trusted_hops: 1}
                forward_auth: {enabled: true}
                """);
        nginx = TestNginx.start(dir, nginxServer(gateway.port(), upstream.port()));
        port = nginx.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /**
     * The nginx side of docs/gateway.md's forward-auth example, on the test's ports ({@code %2$d}
     * is nginx's own, filled in by {@link TestNginx}).
     */
    static String nginxServer(int gatewayPort, int upstreamPort) {
        return """
                  server {
                    listen 127.0.0.1:%2$d;
                    location / {
                      auth_request /_gatehouse_auth;
                      auth_request_set $gatehouse_status $upstream_http_x_gatehouse_status;
                      auth_request_set $gatehouse_retry $upstream_http_retry_after;
                      error_page 401 = @gatehouse_challenge;
                      error_page 403 = @gatehouse_denied;
                      proxy_pass http://127.0.0.1:%4$d;
                    }
                    location = /_gatehouse_auth {
                      internal;
                      proxy_pass http://127.0.0.1:%3$d/__gatehouse__/auth?deny=403;
                      proxy_pass_request_body off;
                      proxy_set_header Content-Length "";
                      proxy_set_header X-Forwarded-Uri $request_uri;
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    }
                    location /__gatehouse__/ {
                      proxy_pass http://127.0.0.1:%3$d;
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                      proxy_set_header X-Forwarded-Proto $scheme;
                    }
                    location @gatehouse_challenge {
                      rewrite ^ /__gatehouse__/page break;
                      proxy_pass http://127.0.0.1:%3$d;
                      proxy_method GET;
                      proxy_pass_request_body off;
                      proxy_set_header Content-Length "";
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    }
                    location @gatehouse_denied {
                      add_header Retry-After $gatehouse_retry always;
                      if ($gatehouse_status = 503) { return 503 "service temporarily unavailable\\n"; }
                      return 429 "rate limit exceeded\\n";
                    }
                  }
                """.replace("%3$d", Integer.toString(gatewayPort)).replace("%4$d", Integer.toString(upstreamPort));
    }

    @Test
    void anAdmittedRequestReachesTheUpstreamThroughNginx() throws Exception {
        HttpResponse<String> response = get("/public/page", "Accept", "*/*");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("upstream /public/page");
    }

    @Test
    void aProtectedPathWithoutTheCookieGetsTheChallengeAndTheSolvedCookieAdmits() throws Exception {
        HttpResponse<String> page = get("/shop/item", "Accept", "text/html");
        assertThat(page.statusCode()).isEqualTo(401);
        assertThat(page.body()).contains("Checking your browser");

        HttpResponse<String> api = get("/shop/item", "Accept", "application/json");
        assertThat(api.statusCode()).isEqualTo(401);
        JsonNode challenge = JSON.readTree(api.body()).get("challenge");
        String nonce = GatewayTest.solve(
                challenge.get("payload").asText(), challenge.get("difficulty").asInt());
        HttpResponse<String> solved = send(HttpRequest.newBuilder(uri("/__gatehouse__/solve"))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"id\":\"" + challenge.get("id").asText() + "\",\"nonce\":\"" + nonce + "\"}"))
                .build());
        assertThat(solved.statusCode()).as(solved.body()).isEqualTo(200);
        String setCookie = solved.headers().firstValue("Set-Cookie").orElseThrow();

        HttpResponse<String> admitted = get("/shop/item", "Cookie", setCookie.substring(0, setCookie.indexOf(';')));

        assertThat(admitted.statusCode()).isEqualTo(200);
        assertThat(admitted.body()).isEqualTo("upstream /shop/item");
        assertThat(upstream.seen()).extracting(TestUpstream.Seen::uri).containsExactly("/shop/item");
    }

    @Test
    void aClientCannotNameAnotherPathToBeJudged() throws Exception {
        HttpResponse<String> spoofed = get("/shop/item", "Accept", "application/json", "X-Forwarded-Uri", "/public");

        assertThat(spoofed.statusCode()).as("nginx sets the header itself").isEqualTo(401);
        assertThat(upstream.seen()).isEmpty();
    }

    @Test
    void theRateLimitAnswers429WithRetryAfterThroughNginx() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(get("/public/" + i).statusCode()).isEqualTo(200);
        }

        HttpResponse<String> limited = get("/public/6");

        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).isEqualTo("rate limit exceeded\n");
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(upstream.seen()).hasSize(5);
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
