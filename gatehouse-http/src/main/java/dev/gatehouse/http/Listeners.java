package dev.gatehouse.http;

import static java.util.Objects.requireNonNullElse;

import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one process: one per {@linkplain Surface#listener() listener} its {@link
 * Surface}s name (surfaces naming one share it, each request going to the surface that {@linkplain
 * Surface#claims claims} its path), each surface with the shared handlers in front of its routes, and the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}, and what
 * surfaces serve privately). Every listener bounds what a client may send and how long it may take
 * ({@link HttpLimits}) and serves on every event loop; no answer carries a stack trace.
 */
public final class Listeners implements AutoCloseable {

    /*
     * Shutdown, bounded by http.shutdown-timeout-millis: /readyz answers 503 (for
     * http.shutdown-delay-millis first, while everything still serves), each surface stops and
     * answers its waiters, its listener stops accepting and lets requests in progress finish; the
     * admin listener goes last, so /readyz says 503 until the end.
     */

    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);
    private static final long START_TIMEOUT_MILLIS = 30_000;
    private static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    public static final Setting<String> ADMIN_HOST = Setting.text(
            "admin.host",
            "GATEHOUSE_ADMIN_HOST",
            "127.0.0.1",
            false,
            "Address of the admin listener (metrics, health)",
            "--admin-host");
    public static final Setting<Integer> ADMIN_PORT = Setting.integer(
            "admin.port",
            "GATEHOUSE_ADMIN_PORT",
            9090,
            0,
            65_535,
            "Port of the admin listener (0 picks a free one)",
            "--admin-port");

    /** The settings of the admin listener. */
    public static final List<Setting<?>> SETTINGS = List.of(ADMIN_HOST, ADMIN_PORT);

    private final HttpLimits limits;
    private final Optional<AccessLog> accessLog;
    private final PrometheusMeterRegistry metrics;
    /**
     * A listener: the surfaces sharing it (in the order they are asked to claim a path) and one server per event loop, all on its address (Vert.x
     * hands each new connection to the next of them), with the same handlers.
     */
    private record Shared(List<Surface> surfaces, List<HttpServer> servers) {

        /** The server whose port the listener reports (all of them listen on it). */
        HttpServer first() {
            return servers.getFirst();
        }
    }

    private final List<Shared> listeners = new ArrayList<>();
    private final HttpServer admin;
    private volatile boolean ready;

    private Listeners(
            Infrastructure infra,
            HttpLimits limits,
            AccessLog accessLog,
            Surface.Address adminAddress,
            List<Surface> served) {
        this.limits = limits;
        this.accessLog = Optional.of(accessLog).filter(AccessLog::enabled);
        this.metrics = infra.metrics();
        Router adminRouter = router(infra, ErrorStyle.PLAIN, Optional.empty(), path -> "GET");
        mountAdmin(adminRouter);
        Map<String, List<Surface>> byListener = new LinkedHashMap<>();
        served.forEach(surface -> byListener
                .computeIfAbsent(surface.listener(), name -> new ArrayList<>())
                .add(surface));
        byListener.forEach((name, surfaces) -> {
            Surface.Address address = surfaces.getFirst().address();
            List<Handler<HttpServerRequest>> fronts = new ArrayList<>();
            for (Surface surface : surfaces) {
                Router router = router(infra, surface.errorStyle(), accessLog(), surface::allowedMethods);
                surface.mount(router);
                surface.mountAdmin(adminRouter);
                fronts.add(boundingHeads(
                        answeringThrows(surface.front(router, accessLog()), surface.errorStyle(), accessLog()),
                        surface.errorStyle(),
                        accessLog()));
            }
            ErrorStyle style = surfaces.getLast().errorStyle(); // the one that answers unknown paths
            Handler<HttpServerRequest> dispatching = dispatching(surfaces, fronts);
            Handler<HttpServerRequest> invalid = invalidRequestHandler(style, accessLog());
            // port 0 asks for a free port: a negative one makes the servers share the one found
            int port = address.port() == 0 ? -1 - listeners.size() : address.port();
            boolean flushOncePerTurn = surfaces.stream().anyMatch(Surface::answersFromOtherConnections);
            List<HttpServer> servers = new ArrayList<>();
            for (int i = 0; i < limits.eventLoopCount(); i++) {
                HttpServer server = infra.vertx()
                        .createHttpServer(limits.serverOptions(address.host(), port))
                        .requestHandler(dispatching)
                        .invalidRequestHandler(invalid);
                server.connectionHandler(connection -> {
                    ChannelPipeline pipeline = GuardedTransport.acceptedHttp1(connection);
                    if (pipeline != null) {
                        if (flushOncePerTurn) {
                            GuardedTransport.flushOncePerTurn(connection);
                        }
                        surfaces.forEach(surface -> surface.acceptedHttp1(pipeline));
                    }
                });
                servers.add(server);
            }
            listeners.add(new Shared(List.copyOf(surfaces), List.copyOf(servers)));
        });
        this.admin = infra.vertx()
                .createHttpServer(limits.serverOptions(adminAddress.host(), adminAddress.port()))
                .requestHandler(boundingHeads(
                        answeringThrows(adminRouter, ErrorStyle.PLAIN, Optional.empty()),
                        ErrorStyle.PLAIN,
                        Optional.empty()))
                .invalidRequestHandler(invalidRequestHandler(ErrorStyle.PLAIN, Optional.empty()));
    }

    /**
     * Starts a listener for each of {@code surfaces} and the admin listener at {@code adminAddress};
     * returns once all of them listen. Throws {@link IllegalStateException} when one cannot (a port
     * in use), having closed them all.
     */
    public static Listeners start(
            Infrastructure infra,
            HttpLimits limits,
            AccessLog accessLog,
            Surface.Address adminAddress,
            List<Surface> surfaces) {
        Listeners listeners = new Listeners(infra, limits, accessLog, adminAddress, surfaces);
        List<Future<?>> listening = new ArrayList<>();
        listeners.listeners.forEach(shared -> listening.add(listenOnEachEventLoop(infra.vertx(), shared.servers())));
        listening.add(listeners.admin.listen());
        try {
            await(Future.all(listening), START_TIMEOUT_MILLIS);
        } catch (RuntimeException e) {
            listeners.stop(false); // nobody was sent here yet: no delay for load balancers
            throw new IllegalStateException("cannot listen: " + e.getMessage(), e);
        }
        listeners.ready = true;
        return listeners;
    }

    /**
     * Listens each of {@code servers} from an event loop of its own (a deployment's instance each:
     * a server takes its connections on the event loop it listened from); whichever listens first
     * binds the address, the others share it, and each reports the port bound.
     */
    private static Future<?> listenOnEachEventLoop(Vertx vertx, List<HttpServer> servers) {
        AtomicInteger next = new AtomicInteger();
        return vertx.deployVerticle(
                () -> new VerticleBase() {
                    @Override
                    public Future<?> start() {
                        return servers.get(next.getAndIncrement()).listen();
                    }
                },
                new DeploymentOptions().setInstances(servers.size()));
    }

    /** The admin listener's address from {@code settings}. */
    public static Surface.Address adminAddress(ResolvedSettings settings) {
        return new Surface.Address(settings.get(ADMIN_HOST), settings.get(ADMIN_PORT));
    }

    /** The port the surface named {@code name} listens on (the bound one when 0 was asked for). */
    public int port(String name) {
        return listeners.stream()
                .filter(shared ->
                        shared.surfaces().stream().anyMatch(s -> s.name().equals(name)))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no surface named " + name))
                .first()
                .actualPort();
    }

    /** The port the admin listener listens on. */
    public int adminPort() {
        return admin.actualPort();
    }

    /** Whether {@code /readyz} says so: from the start until a shutdown begins. */
    public boolean ready() {
        return ready;
    }

    /** Shuts down gracefully within {@code http.shutdown-timeout-millis}; see the design note. */
    @Override
    public void close() {
        stop(true);
    }

    private void stop(boolean delay) {
        ready = false;
        if (delay && limits.shutdownDelayMillis() > 0) { // load balancers watching /readyz stop sending first
            try {
                Thread.sleep(limits.shutdownDelayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.shutdownTimeoutMillis());
        for (Shared shared : listeners) {
            for (Surface surface : shared.surfaces()) {
                try {
                    surface.stop();
                } catch (RuntimeException e) { // a bug; the other listeners still drain and close
                    LOG.error("the {} surface failed to stop", surface.name(), e);
                }
            }
            String names = String.join(
                    "+", shared.surfaces().stream().map(Surface::name).toList());
            shared.servers().forEach(server -> shutDown(server, names, deadlineNanos));
        }
        shutDown(admin, "admin", deadlineNanos);
    }

    private Optional<AccessLog> accessLog() {
        return accessLog;
    }

    /**
     * {@code handler}, but a request whose head alone is refused is answered before anything reads
     * it, in {@code style}: more than {@code http.max-header-count} headers 431; an HTTP/2 {@code
     * :path} with a control character or space 400 (HTTP/1's are refused below the codec, by the
     * connection guard); a {@code Content-Length} over {@code
     * http.max-body-bytes} 413 at once (bodies are never buffered: an unread body waits in the socket,
     * and a client that sent {@code Expect: 100-continue} has sent none). Connections are closed
     * after these answers on HTTP/1.x.
     */
    private Handler<HttpServerRequest> boundingHeads(
            Handler<HttpServerRequest> handler, ErrorStyle style, Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.orElse(null);
        return request -> {
            Refusal refusal = headRefusal(request);
            if (refusal == null) {
                handler.handle(request);
                return;
            }
            long startNanos = System.nanoTime();
            style.send(ErrorStyle.closing(request), refusal.status(), refusal.message());
            if (log != null) {
                log.record(request, refusal.status(), startNanos);
            }
        };
    }

    private record Refusal(int status, String message) {}

    /** Why {@code request}'s head is refused, or null when it is not. */
    private @Nullable Refusal headRefusal(HttpServerRequest request) {
        int count = HttpLimits.headerLines(request.headers());
        if (count > limits.maxHeaderCount()) {
            return new Refusal(
                    431,
                    "too many request headers: " + count + " ("
                            + limits.expected(limits.maxHeaderCount(), "", HttpLimits.MAX_HEADER_COUNT) + ")");
        }
        String uri = request.uri(); // none for an HTTP/2 CONNECT (an authority, no :path)
        String targetProblem =
                request.version() == HttpVersion.HTTP_2 && uri != null ? ConnectionGuard.targetProblem(uri) : null;
        if (targetProblem != null) {
            return new Refusal(400, targetProblem);
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return null;
        }
        long bytes;
        try {
            bytes = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return null; // never here: the codecs refuse such a head first (HTTP/1.1 400, HTTP/2 a reset)
        }
        return bytes > limits.maxBodyBytes()
                ? new Refusal(
                        413,
                        "request body too large: " + bytes + " bytes ("
                                + limits.expected(limits.maxBodyBytes(), "", HttpLimits.MAX_BODY_BYTES) + ")")
                : null;
    }

    /** Sends each request to the first of {@code surfaces} that claims its path, the last one taking the rest. */
    private static Handler<HttpServerRequest> dispatching(
            List<Surface> surfaces, List<Handler<HttpServerRequest>> fronts) {
        if (surfaces.size() == 1) {
            return fronts.getFirst();
        }
        int last = surfaces.size() - 1;
        return request -> {
            String path = request.path();
            for (int i = 0; i < last; i++) {
                if (path != null && surfaces.get(i).claims(path)) {
                    fronts.get(i).handle(request);
                    return;
                }
            }
            fronts.get(last).handle(request);
        };
    }

    private void mountAdmin(Router router) {
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TYPE)
                        .end(metrics.scrape()));
        router.get("/healthz").handler(ctx -> ErrorStyle.sendText(ctx.response(), 200, "OK"));
        router.get("/readyz").handler(ctx -> {
            boolean isReady = ready;
            ErrorStyle.sendText(ctx.response(), isReady ? 200 : 503, isReady ? "ready" : "not ready");
        });
    }

    /**
     * A router with the shared handlers installed; the surface adds its routes after. Unknown paths,
     * methods and unexpected failures are answered in {@code style}, never with a stack trace; a 405
     * names the path's methods from {@code allowedMethods} in {@code Allow}.
     */
    private Router router(
            Infrastructure infra,
            ErrorStyle style,
            Optional<AccessLog> accessLog,
            Function<String, String> allowedMethods) {
        Router router = Router.router(infra.vertx());
        accessLog.ifPresent(log -> router.route().handler(log));
        router.route().handler(ctx -> rejectDotSegments(ctx, style));
        // a path vert.x-web cannot decode: its own answer, without its ERROR log line and stack trace
        router.errorHandler(400, ctx -> style.send(ctx.response(), 400, "Bad Request"));
        router.errorHandler(404, ctx -> style.sendRouterError(ctx.response(), 404, "Not Found"));
        router.errorHandler(405, ctx -> {
            ctx.response()
                    .putHeader(
                            HttpHeaders.ALLOW,
                            // a 405 means the router matched the path, as it matches: decoded (/queue/%65nqueue)
                            allowedMethods.apply(ctx.normalizedPath()));
            style.sendRouterError(ctx.response(), 405, "Method Not Allowed");
        });
        router.errorHandler(500, ctx -> style.sendRouterError(ctx.response(), 500, "Internal Server Error"));
        return router;
    }

    /**
     * The router resolves {@code .} and {@code ..} segments (escaped ones too) before it matches,
     * so {@code /rate/%2e%2e/debug} would reach {@code /debug}: a way around a proxy that lets only
     * some paths through. No route has such a segment; a path with one is refused.
     */
    private static void rejectDotSegments(RoutingContext ctx, ErrorStyle style) {
        String path = ctx.request().path();
        if (path != null && hasDotSegment(path)) {
            style.send(ctx.response(), 400, "path with a . or .. segment: \"" + ClientText.shorten(path) + "\"");
            return;
        }
        ctx.next();
    }

    /** Whether a segment of the raw {@code path} is {@code .} or {@code ..}, its dots plain or escaped. */
    private static boolean hasDotSegment(String path) {
        int start = 0;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end).replace("%2e", ".").replace("%2E", ".");
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /**
     * Answers a request whose head the HTTP/1 codec or the connection guard refused: 414 (request
     * line too long), 431 (headers too large) or 400 naming the problem, then the connection is
     * closed; {@code accessLog}, if given, gets its line as for any 4xx.
     */
    private Handler<HttpServerRequest> invalidRequestHandler(ErrorStyle style, Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.orElse(null);
        return request -> {
            long startNanos = System.nanoTime();
            Throwable cause = request.decoderResult().cause();
            int status;
            String message;
            if (cause instanceof TooLongHttpLineException) {
                status = 414;
                message = "request line too long ("
                        + limits.expected(limits.maxInitialLineBytes(), " bytes", HttpLimits.MAX_INITIAL_LINE_BYTES)
                        + ")";
            } else if (cause instanceof TooLongHttpHeaderException) {
                status = 431;
                message = "request headers too large ("
                        + limits.expected(limits.maxHeaderBytes(), " bytes", HttpLimits.MAX_HEADER_BYTES) + ")";
            } else if (cause != null && String.valueOf(cause.getMessage()).startsWith("invalid version format")) {
                // Netty reads all after the target's first space as the version
                status = 400;
                message = "bad request: invalid request line (expected: METHOD SP target SP HTTP/1.1, a space in"
                        + " the target escaped as %20)";
            } else {
                status = 400;
                message = "bad request: " + (cause == null ? "malformed" : ClientText.shorten(cause.getMessage(), 120));
            }
            style.send(ErrorStyle.closing(request), status, message);
            if (log != null) {
                log.record(request, status, startNanos);
            }
        };
    }

    /**
     * {@code handler}, but a request it throws on while reading the request (a query parameter with
     * a bad percent-escape, say) is answered as the router answers an undecodable path: 400 {@code
     * Bad Request}, never silence. Any other exception is a bug: 500, logged with its stack trace.
     */
    private static Handler<HttpServerRequest> answeringThrows(
            Handler<HttpServerRequest> handler, ErrorStyle style, Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.orElse(null);
        return request -> {
            long startNanos = System.nanoTime();
            try {
                handler.handle(request);
            } catch (IllegalArgumentException e) {
                LOG.debug("{} {}: {}", request.method(), ClientText.shorten(request.uri()), e.getMessage());
                if (!request.response().ended() && log != null) {
                    log.record(request, 400, startNanos);
                }
                style.send(request.response(), 400, "Bad Request");
            } catch (RuntimeException e) {
                LOG.error("{} {}: unexpected failure", request.method(), ClientText.shorten(request.uri()), e);
                style.sendRouterError(request.response(), 500, "Internal Server Error");
            }
        };
    }

    private static void shutDown(HttpServer listener, String name, long deadlineNanos) {
        long leftMillis = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        try {
            await(listener.shutdown(leftMillis, TimeUnit.MILLISECONDS), leftMillis + 1000);
        } catch (RuntimeException e) {
            LOG.warn("the {} listener did not shut down in time: {}", name, e.getMessage());
        }
    }

    private static <T> T await(Future<T> future, long timeoutMillis) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = requireNonNullElse(e.getCause(), e); // a future's ExecutionException has one
            throw new IllegalStateException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer within " + timeoutMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
