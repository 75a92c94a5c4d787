package dev.gatehouse.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import dev.gatehouse.core.gate.AdmissionGate;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.testing.ManualClock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.UsernamePasswordCredentials;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BasicAuthHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The handler in a Vert.x Web router over real HTTP: refusals with the service's headers, a body
 * that waits for the verdict and reaches the application whole, clients told apart by the key
 * extractor (the authenticated user among them), the breaker fed by the application's answers,
 * failure handlers' 500s included.
 */
class GatehouseHandlerTest {

    private final ManualClock clock = new ManualClock();
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<String> served = new CopyOnWriteArrayList<>();
    private final Vertx vertx = Vertx.vertx();
    private HttpServer server;

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private void start(AdmissionGate gate) {
        Router router = Router.router(vertx);
        // the application's own authentication, for requests that bring credentials: any password will do
        BasicAuthHandler basic = BasicAuthHandler.create(credentials ->
                Future.succeededFuture(User.fromName(((UsernamePasswordCredentials) credentials).getUsername())));
        router.route().handler(ctx -> {
            if (ctx.request().getHeader("Authorization") != null) {
                basic.handle(ctx);
            } else {
                ctx.next();
            }
        });
        router.route().handler(new GatehouseHandler(gate));
        router.route("/fail").handler(ctx -> {
            served.add(ctx.normalizedPath());
            ctx.response().setStatusCode(500).end();
        });
        router.route("/throw").handler(ctx -> {
            served.add(ctx.normalizedPath());
            throw new IllegalStateException("the application failed");
        });
        router.route()
                .handler(ctx -> ctx.request().body().onSuccess(body -> {
                    served.add(ctx.normalizedPath() + " " + body.toString());
                    ctx.response().end("ok " + ctx.normalizedPath());
                }));
        server = vertx.createHttpServer()
                .requestHandler(router)
                .listen(0, "127.0.0.1")
                .await();
    }

    private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.actualPort() + path))
                .timeout(Duration.ofSeconds(10))
                .method(
                        method,
                        body.isEmpty()
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user) {
        return "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString((user + ":any").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aLimitLetsTheBodyThroughWholeThenRefusesWithTheServicesHeaders() throws Exception {
        start(AdmissionGate.builder()
                .limit("/api/", "api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .clock(clock)
                .build());
        HttpResponse<String> first = send("POST", "/api/orders", "x".repeat(100_000));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue("\"api\";q=1;w=60");
        assertThat(served).containsExactly("/api/orders " + "x".repeat(100_000));

        HttpResponse<String> second = send("POST", "/api/orders", "y".repeat(100_000));
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(second.body()).isEqualTo("rate limit exceeded\n");
        assertThat(second.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(second.headers().firstValue("RateLimit")).hasValue("\"api\";r=0;t=60");
        assertThat(served).hasSize(1);
        assertThat(send("GET", "/api/%2E%2E/elsewhere", "").statusCode())
                .as("the path as Vert.x Web normalised it: /elsewhere, which no limit covers")
                .isEqualTo(200);
    }

    @Test
    void clientsAreToldApartByForwardedForOrByTheAuthenticatedUser() throws Exception {
        start(AdmissionGate.builder()
                .limit("api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .keys(KeyExtractor.principal().orElse(KeyExtractor.forwardedFor(1)))
                .clock(clock)
                .build());
        List<Integer> statuses = List.of(
                send("GET", "/x", "", "X-Forwarded-For", "203.0.113.5").statusCode(),
                send("GET", "/x", "", "X-Forwarded-For", "forged, 203.0.113.5").statusCode(),
                send("GET", "/x", "", "X-Forwarded-For", "203.0.113.5", "Authorization", basic("alice"))
                        .statusCode(),
                send("GET", "/x", "", "X-Forwarded-For", "198.51.100.1", "Authorization", basic("alice"))
                        .statusCode(),
                send("GET", "/x", "", "Authorization", basic("bob")).statusCode());
        assertThat(statuses).containsExactly(200, 429, 200, 429, 200);
    }

    /**
     * Hostile clients: an escape that does not decode, a dot-segment path, a header of keys as long
     * as the server takes, a flood of clients each with its own key: 4xx or the limit's own answer,
     * never a 5xx, and the application reached only as the limit allows.
     */
    @Test
    void hostileClientsGetA4xxOrTheLimitsAnswerNeverA5xx() throws Exception {
        start(AdmissionGate.builder()
                .limit("/api/", "api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .keys(KeyExtractor.forwardedFor(1))
                .clock(clock)
                .build());
        try (dev.gatehouse.testing.http.RawConnection raw =
                dev.gatehouse.testing.http.RawConnection.open(server.actualPort())) {
            raw.send("GET /api/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            int status = dev.gatehouse.testing.http.RawConnection.status(raw.readUntilClosed());
            assertThat(status).as("an escape that does not decode").isBetween(400, 499);
        }
        assertThat(send("GET", "/api/../api/x", "", "X-Forwarded-For", "203.0.113.9")
                        .statusCode())
                .isEqualTo(200);
        assertThat(send("GET", "/api/x", "", "X-Forwarded-For", "203.0.113.9").statusCode())
                .as("the same path once normalised: the same client's one permit is spent")
                .isEqualTo(429);
        String longKey = "k".repeat(6_000);
        assertThat(send("GET", "/api/x", "", "X-Forwarded-For", longKey).statusCode())
                .isEqualTo(200);
        assertThat(send("GET", "/api/x", "", "X-Forwarded-For", longKey + "tail")
                        .statusCode())
                .as("keys are cut to 256 characters")
                .isEqualTo(429);
        int allowed = 0;
        for (int i = 0; i < 300; i++) {
            int status = send("GET", "/api/x", "", "X-Forwarded-For", "198.51.100." + (i % 256) + ", x" + i)
                    .statusCode();
            assertThat(status).isIn(200, 429);
            allowed += status == 200 ? 1 : 0;
        }
        assertThat(allowed).as("one permit per distinct client").isEqualTo(300);
    }

    @Test
    void theBreakerLearnsFromAnswersAndFailureHandlersAndRefusesWhileOpen() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.create(CircuitBreakerSpec.builder()
                .countWindow(4)
                .minimumCalls(4)
                .failureRatio(0.5)
                .cooldown(Duration.ofSeconds(20))
                .clock(clock)
                .build());
        start(AdmissionGate.builder().breaker(breaker).clock(clock).build());
        assertThat(send("GET", "/ok", "").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/ok", "").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/fail", "").statusCode()).isEqualTo(500);
        assertThat(send("GET", "/throw", "").statusCode())
                .as("the router's failure handler answers 500")
                .isEqualTo(500);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);

        HttpResponse<String> refused = send("GET", "/ok", "");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).isEqualTo("service temporarily unavailable\n");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("20");
        clock.advance(Duration.ofSeconds(20));
        assertThat(send("GET", "/ok", "").statusCode()).isEqualTo(200);
    }
}
