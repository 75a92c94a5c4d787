package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.time.BatchClock;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.testing.ManualClock;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.impl.HttpClientConnectionInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Surfaces on the shared plumbing: each on its own listener, errors in its own style, stopped before its listener. */
class ListenersTest {

    private static final List<Setting<?>> SETTINGS = Stream.of(
                    StoreSettings.SETTINGS, HttpLimits.SETTINGS, AccessLog.SETTINGS, Listeners.SETTINGS)
            .flatMap(List::stream)
            .toList();

    private final HttpClient client = HttpClient.newHttpClient();
    private final List<String> events = new ArrayList<>();
    private final ManualClock source = new ManualClock(1_000);
    private Infrastructure infra;
    private Listeners listeners;

    /**
     * A surface answering GET /hello and GET /fail (an unexpected failure), writing errors in {@code
     * style}; GET /pipeline answers the connection's protocol and the class of its pipeline's first
     * handler.
     */
    private final class TestSurface implements Surface {
        private final String name;
        private final ErrorStyle style;
        private final boolean answersFromOtherConnections;

        TestSurface(String name, ErrorStyle style) {
            this(name, style, false);
        }

        TestSurface(String name, ErrorStyle style, boolean answersFromOtherConnections) {
            this.name = name;
            this.style = style;
            this.answersFromOtherConnections = answersFromOtherConnections;
        }

        @Override
        public boolean answersFromOtherConnections() {
            return answersFromOtherConnections;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Address address() {
            return new Address("127.0.0.1", 0);
        }

        @Override
        public ErrorStyle errorStyle() {
            return style;
        }

        @Override
        public String allowedMethods(String path) {
            return "GET";
        }

        @Override
        public void mount(Router router) {
            router.get("/hello").handler(ctx -> ErrorStyle.sendText(ctx.response(), 200, "hello from " + name));
            router.get("/refused").handler(ctx -> style.send(ctx.response(), 409, "taken: \"x\""));
            router.get("/pipeline")
                    .handler(ctx -> ErrorStyle.sendText(
                            ctx.response(),
                            200,
                            ctx.request().version() + " "
                                    + ((ConnectionBase) ctx.request().connection())
                                            .channelHandlerContext()
                                            .pipeline()
                                            .first()
                                            .getClass()
                                            .getSimpleName()));
            router.get("/thread")
                    .handler(ctx -> ErrorStyle.sendText(
                            ctx.response(), 200, Thread.currentThread().getName()));
            router.get("/clock")
                    .handler(
                            ctx -> { // two readings of one request, the source moved between
                                long first = infra.clock().nowNanos();
                                source.advanceNanos(5);
                                ErrorStyle.sendText(
                                        ctx.response(),
                                        200,
                                        first + " " + infra.clock().nowNanos());
                            });
        }

        @Override
        public void mountAdmin(Router router) {
            router.get("/" + name + "-state").handler(ctx -> ErrorStyle.sendText(ctx.response(), 200, name));
        }

        @Override
        public void stop() {
            events.add("stop " + name + " while admin listens: " + listeners.ready());
            if (name.startsWith("broken")) {
                throw new IllegalStateException("a bug in " + name);
            }
        }
    }

    private void start(Surface... surfaces) {
        start(source, surfaces);
    }

    private void start(NanoClock clock, Surface... surfaces) {
        start(Map.of(), clock, surfaces);
    }

    private void start(Map<Setting<?>, String> more, NanoClock clock, Surface... surfaces) {
        Map<Setting<?>, String> given = new HashMap<>(more);
        given.put(Listeners.ADMIN_PORT, "0");
        given.put(HttpLimits.MAX_BODY_BYTES, "10");
        ResolvedSettings settings = ResolvedSettings.resolve(SETTINGS, Optional.empty(), given, Map.of());
        infra = Infrastructure.start(StoreSettings.from(settings), HttpLimits.from(settings), clock, source, null);
        listeners = Listeners.start(
                infra,
                HttpLimits.from(settings),
                AccessLog.from(settings),
                Listeners.adminAddress(settings),
                List.of(surfaces));
    }

    @AfterEach
    void close() {
        if (listeners != null) {
            listeners.close();
        }
        if (infra != null) {
            infra.close();
        }
        client.close();
    }

    @Test
    void twoSurfaces_eachOnItsOwnListener_bothOnTheAdminListener() throws Exception {
        start(new TestSurface("a", ErrorStyle.PLAIN), new TestSurface("b", ErrorStyle.DETAIL));

        assertThat(get(listeners.port("a"), "/hello").body()).isEqualTo("hello from a");
        assertThat(get(listeners.port("b"), "/hello").body()).isEqualTo("hello from b");
        assertThat(get(listeners.adminPort(), "/a-state").body()).isEqualTo("a");
        assertThat(get(listeners.adminPort(), "/b-state").body()).isEqualTo("b");
        assertThat(get(listeners.adminPort(), "/readyz").statusCode()).isEqualTo(200);
    }

    /** A listener serves on every event loop: new connections go to each in turn. */
    @Test
    void connections_areServedOnEveryEventLoop() throws Exception {
        start(Map.of(HttpLimits.EVENT_LOOPS, "2"), source, new TestSurface("a", ErrorStyle.PLAIN));

        Set<String> threads = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            try (HttpClient fresh = HttpClient.newHttpClient()) { // a connection of its own
                threads.add(fresh.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + listeners.port("a") + "/thread"))
                                        .timeout(Duration.ofSeconds(10))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
            }
        }

        assertThat(threads).hasSize(2).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));
    }

    /**
     * A surface that answers from other connections' reads has its listener's HTTP/1.1 connections
     * flush once per turn; an h2c upgrade on the same listener is served as HTTP/2 and left as it is
     * (held flushes broke the upgrade: DeployFilesTest); a surface answering in its own reads leaves
     * its connections as Vert.x makes them.
     */
    @Test
    void acceptedHttp1Connections_flushOncePerTurnWhenTheSurfaceAnswersFromOtherConnections() throws Exception {
        start(new TestSurface("a", ErrorStyle.PLAIN, true), new TestSurface("b", ErrorStyle.PLAIN));
        HttpRequest.Builder http1 = HttpRequest.newBuilder().GET().version(HttpClient.Version.HTTP_1_1);

        assertThat(send(listeners.port("a"), http1, "/pipeline").body())
                .isEqualTo("HTTP_1_1 FlushConsolidationHandler");
        for (int i = 0; i < 3; i++) {
            try (HttpClient fresh = HttpClient.newHttpClient()) { // a new connection: it asks for an h2c upgrade
                assertThat(send(
                                        fresh,
                                        listeners.port("a"),
                                        HttpRequest.newBuilder().GET(),
                                        "/pipeline")
                                .body())
                        .startsWith("HTTP_2 ")
                        .doesNotContain("FlushConsolidation");
                assertThat(send(
                                        fresh,
                                        listeners.port("a"),
                                        HttpRequest.newBuilder().GET(),
                                        "/hello")
                                .body())
                        .isEqualTo("hello from a");
            }
        }
        assertThat(send(listeners.port("b"), http1, "/pipeline").body())
                .startsWith("HTTP_1_1 ")
                .doesNotContain("FlushConsolidation");
    }

    /** A client's connection given to flushOncePerTurn (the gateway's to its upstream) holds its flushes for the turn. */
    @Test
    void clientConnections_flushOncePerTurnOfTheirEventLoop() throws Exception {
        start(new TestSurface("a", ErrorStyle.PLAIN));

        List<ChannelPipeline> opened = new CopyOnWriteArrayList<>();
        io.vertx.core.http.HttpClient vertxClient = infra.vertx()
                .httpClientBuilder()
                .withConnectHandler(connection -> {
                    if (GuardedTransport.flushOncePerTurn(connection)) {
                        opened.add(((HttpClientConnectionInternal) connection)
                                .channelHandlerContext()
                                .pipeline());
                    }
                })
                .build();
        try {
            String body = vertxClient
                    .request(HttpMethod.GET, listeners.port("a"), "127.0.0.1", "/hello")
                    .compose(request -> request.send())
                    .compose(response -> response.body())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS)
                    .toString();

            assertThat(body).isEqualTo("hello from a");
            assertThat(opened)
                    .singleElement()
                    .satisfies(pipeline -> assertThat(pipeline.first()).isInstanceOf(FlushConsolidationHandler.class));
        } finally {
            vertxClient.close();
        }
    }

    @Test
    void eventLoops_joinABatchClock_andReadItOncePerBatch() throws Exception {
        start(BatchClock.over(source), new TestSurface("a", ErrorStyle.PLAIN));

        assertThat(get(listeners.port("a"), "/clock").body()).isEqualTo("1000 1000");
        assertThat(get(listeners.port("a"), "/clock").body()).isEqualTo("1005 1005"); // a new batch
    }

    @Test
    void otherClocks_areReadAsTheyAre() throws Exception {
        start(new TestSurface("a", ErrorStyle.PLAIN));

        assertThat(get(listeners.port("a"), "/clock").body()).isEqualTo("1000 1005");
    }

    static Stream<Arguments> styledErrors() {
        return Stream.of(
                Arguments.of(ErrorStyle.PLAIN, "/nope", 404, "{\"message\":\"Not Found\"}\n"),
                Arguments.of(ErrorStyle.DETAIL, "/nope", 404, "{\"detail\":\"Not Found\"}"),
                Arguments.of(ErrorStyle.ERROR, "/nope", 404, "{\"error\":\"Not Found\"}\n"),
                Arguments.of(ErrorStyle.PLAIN, "/refused", 409, "taken: \"x\""),
                Arguments.of(ErrorStyle.DETAIL, "/refused", 409, "{\"detail\":\"taken: \\\"x\\\"\"}"),
                Arguments.of(ErrorStyle.ERROR, "/refused", 409, "{\"error\":\"taken: \\\"x\\\"\"}\n"));
    }

    @ParameterizedTest
    @MethodSource("styledErrors")
    void errors_areWrittenInTheSurfacesStyle(ErrorStyle style, String path, int status, String body) throws Exception {
        start(new TestSurface("s", style));

        HttpResponse<String> answer = get(listeners.port("s"), path);

        assertThat(answer.statusCode()).isEqualTo(status);
        assertThat(answer.body()).isEqualTo(body);
    }

    @ParameterizedTest
    @CsvSource({"PLAIN, Method Not Allowed", "DETAIL, {\"detail\":\"Method Not Allowed\"}"})
    void wrongMethod_is405WithAllow_inTheSurfacesStyle(ErrorStyle style, String expected) throws Exception {
        start(new TestSurface("s", style));

        HttpResponse<String> answer = send(
                listeners.port("s"),
                HttpRequest.newBuilder().method("DELETE", HttpRequest.BodyPublishers.noBody()),
                "/hello");

        assertThat(answer.statusCode()).isEqualTo(405);
        assertThat(answer.headers().firstValue("Allow")).hasValue("GET");
        assertThat(answer.body()).contains(expected);
    }

    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void bodyOverTheBound_is413NamingTheBound_inTheSurfacesStyle(HttpClient.Version version) throws Exception {
        start(new TestSurface("s", ErrorStyle.ERROR));
        get(listeners.port("s"), "/hello"); // over HTTP/2, the upgrade happens here: the POST goes as h2

        HttpResponse<String> answer = send(
                listeners.port("s"),
                HttpRequest.newBuilder().version(version).POST(HttpRequest.BodyPublishers.ofString("x".repeat(11))),
                "/hello");

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(answer.body())
                .isEqualTo("{\"error\":\"request body too large: 11 bytes (expected: <= 10, http.max-body-bytes)\"}\n");
    }

    @Test
    void close_stopsEachSurfaceBeforeItsListener_whileReadyzSays503() {
        start(new TestSurface("a", ErrorStyle.PLAIN), new TestSurface("b", ErrorStyle.PLAIN));

        listeners.close();

        assertThat(events).containsExactly("stop a while admin listens: false", "stop b while admin listens: false");
    }

    @Test
    void close_aSurfaceThatFailsToStop_doesNotKeepTheOthersOpen() throws Exception {
        start(new TestSurface("broken", ErrorStyle.PLAIN), new TestSurface("b", ErrorStyle.PLAIN));
        int adminPort = listeners.adminPort();

        listeners.close();

        assertThat(events)
                .containsExactly("stop broken while admin listens: false", "stop b while admin listens: false");
        assertThatThrownBy(() -> get(adminPort, "/readyz")).isInstanceOf(IOException.class);
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return send(port, HttpRequest.newBuilder().GET(), path);
    }

    private HttpResponse<String> send(int port, HttpRequest.Builder request, String path)
            throws IOException, InterruptedException {
        return send(client, port, request, path);
    }

    private static HttpResponse<String> send(HttpClient client, int port, HttpRequest.Builder request, String path)
            throws IOException, InterruptedException {
        return client.send(
                request.uri(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
