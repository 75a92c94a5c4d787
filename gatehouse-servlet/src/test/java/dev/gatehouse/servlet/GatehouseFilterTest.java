package dev.gatehouse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import dev.gatehouse.core.gate.AdmissionGate;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The filter in a real servlet container (Jetty), over real HTTP: allowed and refused requests with
 * their headers, the longest prefix's limit, clients told apart by the key extractor, the breaker
 * tripped by the application's 5xx answers and exceptions and closing again, a concurrency permit
 * given back when an answer ends (an asynchronous one too), a store that fails.
 */
class GatehouseFilterTest {

    private final ManualClock clock = new ManualClock();
    private final HttpClient client = HttpClient.newHttpClient();
    private final ConcurrentLinkedQueue<AsyncContext> held = new ConcurrentLinkedQueue<>();
    private final List<String> served = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Server server;

    /** The application: {@code /fail} answers 500, {@code /throw} throws, {@code /hold} waits (asynchronously) to be let go. */
    private final class App extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String path = request.getRequestURI();
            served.add(path);
            if (path.endsWith("/fail")) {
                response.sendError(500);
            } else if (path.endsWith("/throw")) {
                throw new IllegalStateException("the application failed");
            } else if (path.endsWith("/hold")) {
                AsyncContext async = request.startAsync();
                async.setTimeout(0);
                held.add(async);
            } else {
                response.setContentType("text/plain");
                response.getWriter().print("ok " + path);
            }
        }
    }

    private void start(AdmissionGate.Builder gate) throws Exception {
        GatehouseFilter filter = new GatehouseFilter(gate.build());
        server = new Server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ServletContextHandler context = new ServletContextHandler("/app");
        ServletHolder app = new ServletHolder(new App());
        app.setAsyncSupported(true);
        context.addServlet(app, "/*");
        FilterHolder gatehouse = new FilterHolder(filter);
        gatehouse.setAsyncSupported(true);
        context.addFilter(gatehouse, "/*", EnumSet.of(DispatcherType.REQUEST));
        server.setHandler(context);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        held.forEach(AsyncContext::complete);
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/app" + path))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Integer> statuses(List<HttpResponse<String>> responses) {
        return responses.stream().map(HttpResponse::statusCode).toList();
    }

    @Test
    void aLimitAllowsThenRefusesWithTheHeadersTheServiceSends() throws Exception {
        start(AdmissionGate.builder()
                .limit("/api/", "api", LimitSpec.tokenBucket(2, 1, Duration.ofHours(1)))
                .clock(clock));
        HttpResponse<String> first = get("/api/items");
        HttpResponse<String> second = get("/api/items");
        HttpResponse<String> third = get("/api/items");

        assertThat(statuses(List.of(first, second, third))).containsExactly(200, 200, 429);
        assertThat(first.body()).isEqualTo("ok /app/api/items");
        assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue("\"api\";q=2;w=7200");
        assertThat(first.headers().firstValue("RateLimit"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("\"api\";r=1;t="));
        assertThat(third.body()).isEqualTo("rate limit exceeded\n");
        assertThat(third.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(third.headers().firstValue("Retry-After")).hasValue("3600");
        assertThat(third.headers().firstValue("RateLimit")).hasValue("\"api\";r=0;t=7200");
        assertThat(served).containsExactly("/app/api/items", "/app/api/items");

        HttpResponse<String> other = get("/other");
        assertThat(other.statusCode()).as("a path no limit covers").isEqualTo(200);
        assertThat(other.headers().firstValue("RateLimit")).isEmpty();

        clock.advance(Duration.ofHours(1));
        assertThat(get("/api/items").statusCode())
                .as("a token back after an hour")
                .isEqualTo(200);
    }

    @Test
    void theLongestPrefixAppliesAndEachPolicyCountsApart() throws Exception {
        start(AdmissionGate.builder()
                .limit("site", LimitSpec.fixedWindow(100, Duration.ofMinutes(1)))
                .limit("/api/login", "login", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .clock(clock));
        assertThat(get("/api/login").statusCode()).isEqualTo(200);
        HttpResponse<String> again = get("/api/login");
        assertThat(again.statusCode()).isEqualTo(429);
        assertThat(again.headers().firstValue("RateLimit-Policy")).hasValue("\"login\";q=1;w=60");
        HttpResponse<String> elsewhere = get("/api/items");
        assertThat(elsewhere.statusCode()).isEqualTo(200);
        assertThat(elsewhere.headers().firstValue("RateLimit-Policy")).hasValue("\"site\";q=100;w=60");
        assertThat(get("/api/%6Cogin").statusCode())
                .as("a path is judged as the container decoded it")
                .isEqualTo(429);
    }

    /** Clients told apart by the key extractor: X-Forwarded-For with one trusted hop. */
    @Test
    void clientsAreToldApartByTheKeyExtractor() throws Exception {
        start(AdmissionGate.builder()
                .limit("api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .keys(KeyExtractor.forwardedFor(1))
                .clock(clock));
        List<HttpResponse<String>> answers = new ArrayList<>();
        answers.add(get("/x", "X-Forwarded-For", "203.0.113.5"));
        answers.add(get("/x", "X-Forwarded-For", "198.51.100.7"));
        answers.add(get("/x", "X-Forwarded-For", "forged, 203.0.113.5"));
        answers.add(get("/x", "X-Forwarded-For", "[2001:DB8::1]"));
        answers.add(get("/x", "X-Forwarded-For", "2001:db8:0:0:0:0:0:1"));
        answers.add(get("/x"));
        answers.add(get("/x", "X-Forwarded-For", "127.0.0.1"));
        assertThat(statuses(answers))
                .as("a forged entry left of the trusted hop, another spelling of one address, no header: the peer")
                .containsExactly(200, 200, 429, 200, 429, 200, 429);
    }

    @Test
    void theBreakerTripsOnFailuresAndExceptionsAndClosesAfterItsProbes() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.create(CircuitBreakerSpec.builder()
                .countWindow(4)
                .minimumCalls(4)
                .failureRatio(0.5)
                .cooldown(Duration.ofSeconds(30))
                .halfOpen(1, Duration.ofSeconds(10))
                .clock(clock)
                .build());
        start(AdmissionGate.builder().breaker(breaker).clock(clock));
        assertThat(get("/ok").statusCode()).isEqualTo(200);
        assertThat(get("/ok").statusCode()).isEqualTo(200);
        assertThat(get("/fail").statusCode()).isEqualTo(500);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(get("/throw").statusCode())
                .as("an exception is a failure too")
                .isEqualTo(500);
        assertThat(breaker.state()).as(String.valueOf(breaker.metrics())).isEqualTo(CircuitBreaker.State.OPEN);

        HttpResponse<String> refused = get("/ok");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).isEqualTo("service temporarily unavailable\n");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
        int servedBefore = served.size();

        clock.advance(Duration.ofSeconds(30));
        assertThat(get("/ok").statusCode()).as("the probe").isEqualTo(200);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(served).hasSize(servedBefore + 1);
    }

    @Test
    void aConcurrencyPermitIsGivenBackWhenTheAnswerEndsAsynchronousOnesToo() throws Exception {
        start(AdmissionGate.builder().limit("db", LimitSpec.concurrency(1)).clock(clock));
        for (int i = 0; i < 5; i++) {
            assertThat(get("/ok").statusCode())
                    .as("request %d, one at a time", i)
                    .isEqualTo(200);
        }
        assertThat(get("/fail").statusCode()).isEqualTo(500);
        assertThat(get("/throw").statusCode()).isEqualTo(500);
        assertThat(get("/ok").statusCode())
                .as("given back after a failure and an exception")
                .isEqualTo(200);

        CompletableFuture<HttpResponse<String>> holding = CompletableFuture.supplyAsync(() -> {
            try {
                return get("/hold");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        dev.gatehouse.testing.Await.until(Duration.ofSeconds(10), () -> !held.isEmpty());
        HttpResponse<String> busy = get("/ok");
        assertThat(busy.statusCode())
                .as("the held request holds the one permit")
                .isEqualTo(429);
        assertThat(busy.headers().firstValue("RateLimit-Policy")).hasValue("\"db\";q=1");

        AsyncContext async = held.poll();
        async.getResponse().getWriter().print("let go");
        async.complete();
        assertThat(holding.get().body()).isEqualTo("let go");
        dev.gatehouse.testing.Await.until(Duration.ofSeconds(10), () -> {
            try {
                return get("/ok").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aStoreThatFailsRefusesWith503OrLetsThroughWhenFailingOpen() throws Exception {
        KeyedRateLimiter broken = new KeyedRateLimiter() {
            @Override
            public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
                return CompletableFuture.failedFuture(new IllegalStateException("redis is down"));
            }

            @Override
            public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
        };
        start(AdmissionGate.builder()
                .limit("api", LimitSpec.fixedWindow(10, Duration.ofMinutes(1)))
                .limiter(broken));
        HttpResponse<String> refused = get("/x");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).isEqualTo("rate limit store unavailable\n");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        server.stop();

        start(AdmissionGate.builder()
                .limit("api", LimitSpec.fixedWindow(10, Duration.ofMinutes(1)))
                .limiter(broken)
                .failOpen());
        assertThat(get("/x").statusCode()).isEqualTo(200);
    }

    @Test
    void aHeaderTooLargeForTheContainerNeverReachesTheFilter() throws Exception {
        start(AdmissionGate.builder()
                .limit("api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .keys(KeyExtractor.header("X-Client"))
                .clock(clock));
        assertThat(get("/x", "X-Client", "c".repeat(100_000)).statusCode()).isEqualTo(431);
        assertThat(get("/x", "X-Client", "c".repeat(4_000)).statusCode()).isEqualTo(200);
        assertThat(get("/x", "X-Client", "c".repeat(4_000) + "different tail").statusCode())
                .as("keys are cut to 256 characters: the same start is the same client")
                .isEqualTo(429);
        assertThat(served).hasSize(1);
    }
}
