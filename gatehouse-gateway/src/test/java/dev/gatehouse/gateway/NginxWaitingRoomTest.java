package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's waiting room behind a real nginx that proxies to it, as docs/gateway.md advises:
 * nginx drops the underscored {@code user_id} header, so the page sends {@code user-id} and
 * {@code Authorization: Bearer}, and a visitor goes through the line to its seat and the site.
 */
final class NginxWaitingRoomTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROOM = "/__gatehouse__/room/";

    @TempDir
    Path dir;

    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private TestUpstream upstream;
    private TestGateway gateway;
    private TestNginx nginx;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start();
        gateway = TestGateway.start("upstream: " + upstream.url() + "\n" + """
                admission: {secret: 0123456789abcdef0123456789abcdef}
                identity: {from: forwarded_for, trusted_hops: 1}
                waiting_room: {paths: [/shop], capacity: 1}
                """);
        nginx = TestNginx.start(dir, """
                  server {
                    listen 127.0.0.1:%2$d;
                    location / {
                      proxy_pass http://127.0.0.1:GATEWAY;
                      proxy_set_header Host $host;
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                      proxy_set_header X-Forwarded-Proto $scheme;
                    }
                  }
                """.replace("GATEWAY", Integer.toString(gateway.port())));
    }

    @AfterEach
    void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        gateway.close();
        upstream.close();
    }

    @Test
    void aVisitorGoesThroughTheLineToItsSeatThroughNginx() throws Exception {
        HttpResponse<String> page = get("/shop/item");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("gatehouse-page");

        HttpResponse<String> underscored = post(ROOM + "queue/enqueue", "user_id", "alice");
        assertThat(underscored.statusCode())
                .as("nginx drops header names with underscores: the page does not send them")
                .isEqualTo(422);
        HttpResponse<String> joined = post(ROOM + "queue/enqueue", "user-id", "alice", "X-Gatehouse-Room", "site");
        assertThat(joined.statusCode()).as(joined.body()).isEqualTo(200);
        String token = JSON.readTree(joined.body()).get("jwt").asText();

        TestGateway.awaitCondition(() -> status(token).get("ready").asBoolean());
        String pass = status(token).get("jwt_token").asText();
        HttpResponse<String> seated =
                get(ROOM + "seat?to=/shop/item&token=" + URLEncoder.encode(pass, StandardCharsets.UTF_8));
        assertThat(seated.statusCode()).isEqualTo(303);
        String cookie = seated.headers().firstValue("Set-Cookie").orElseThrow();

        HttpResponse<String> inside = get("/shop/item", "Cookie", cookie.substring(0, cookie.indexOf(';')));
        assertThat(inside.body()).isEqualTo("upstream /shop/item");
        assertThat(upstream.seen()).extracting(TestUpstream.Seen::uri).containsExactly("/shop/item");
    }

    private JsonNode status(String token) {
        try {
            HttpResponse<String> status = get(ROOM + "queue/status", "Authorization", "Bearer " + token);
            assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
            return JSON.readTree(status.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    private HttpResponse<String> post(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()), headers);
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return client.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + nginx.port() + path);
    }
}
