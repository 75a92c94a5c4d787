package dev.gatehouse.gateway;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ClientText;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.Surface;
import dev.gatehouse.http.ThrottledWarning;
import dev.gatehouse.vertx.RequestContext;
import io.netty.channel.ChannelPipeline;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's listener: the admin API under its prefix (outside the pipeline, as in Wicket), and
 * every other request through the pipeline: client key, the admission cookie on protected paths
 * (the challenge page or a 401 with a challenge without it), rate limit (429 {@code rate limit
 * exceeded}), then the breaker and the upstream ({@link Upstream}).
 */
final class GatewaySurface implements Surface {

    static final String RATE_LIMITED = "rate limit exceeded\n";

    private static final Logger LOG = LoggerFactory.getLogger(GatewaySurface.class);
    /** Seats that cannot be checked fail every request: a line every few seconds, not one per request. */
    private static final ThrottledWarning SEAT_DOWN_LOG =
            new ThrottledWarning(LOG, "waiting room: the seat could not be checked; requests get 503");

    private final Address address;
    private final String adminPrefix;
    private final AdminApi admin;
    private final LivePolicy policy;
    private final Upstream upstream;
    private final GatewayMetrics metrics;
    private final NanoClock clock;
    private final boolean forwardAuth;
    private final Optional<GatewayTracing> tracing;
    private final Optional<SiteRoomPages> room;
    private final Optional<ChannelProxy> channelProxy;

    GatewaySurface(
            Address address,
            String adminPrefix,
            AdminApi admin,
            LivePolicy policy,
            Upstream upstream,
            GatewayMetrics metrics,
            NanoClock clock,
            boolean forwardAuth,
            Optional<GatewayTracing> tracing,
            Optional<SiteRoomPages> room,
            Optional<ChannelProxy> channelProxy) {
        this.address = address;
        this.adminPrefix = adminPrefix;
        this.admin = admin;
        this.policy = policy;
        this.upstream = upstream;
        this.metrics = metrics;
        this.clock = clock;
        this.forwardAuth = forwardAuth;
        this.tracing = tracing;
        this.room = room;
        this.channelProxy = channelProxy;
    }

    @Override
    public String name() {
        return "gateway";
    }

    @Override
    public Address address() {
        return address;
    }

    @Override
    public ErrorStyle errorStyle() {
        return ErrorStyle.ERROR;
    }

    @Override
    public boolean answersFromOtherConnections() {
        return true; // the upstream's answers
    }

    @Override
    public void acceptedHttp1(ChannelPipeline pipeline) {
        channelProxy.ifPresent(proxy -> proxy.install(pipeline));
    }

    @Override
    public String allowedMethods(String path) {
        return room.flatMap(r -> r.allowedMethods(path)).orElseGet(() -> admin.allowedMethods(path));
    }

    @Override
    public void mountAdmin(Router router) {
        admin.mountPrivate(router);
    }

    @Override
    public void mount(Router router) {
        admin.mount(router);
        room.ifPresent(r -> r.mount(router));
        router.route(adminPrefix + "auth").handler(this::forwardAuth);
    }

    @Override
    public Handler<HttpServerRequest> front(Router router, Optional<AccessLog> accessLog) {
        return request -> {
            String path = request.path();
            // the admin API by its path alone: an absolute-form target is refused as the proxy refuses it
            if (path != null && path.startsWith(adminPrefix) && request.uri().startsWith("/")) {
                router.handle(request); // the router logs its own requests
                return;
            }
            accessLog.ifPresent(log -> {
                long startNanos = System.nanoTime();
                request.response()
                        .endHandler(v -> log.record(request, request.response().getStatusCode(), startNanos));
            });
            proxy(request);
        };
    }

    private void proxy(HttpServerRequest request) {
        String problem = targetProblem(request);
        if (problem != null) {
            ErrorStyle.sendText(
                    ErrorStyle.closing(request),
                    request.method().equals(HttpMethod.CONNECT) ? 405 : 400,
                    problem + "\n");
            return;
        }
        Span span = tracing.map(t -> t.begin(request)).orElse(null);
        gate(
                request,
                requireNonNull(request.path()),
                request.uri(),
                false,
                false,
                span,
                () -> upstream.handle(request));
    }

    /**
     * Why {@code request} cannot be proxied as asked, or null: the gateway is a reverse proxy of one
     * upstream, so a tunnel ({@code CONNECT}), a target that is no path ({@code *}, another
     * server's URL), a path that could walk out of the upstream's base path ({@code ..}, however
     * escaped) and a {@code Host} that is no host are refused rather than passed on for the upstream
     * to read some other way.
     */
    private static @Nullable String targetProblem(HttpServerRequest request) {
        if (request.method().equals(HttpMethod.CONNECT)) {
            return "CONNECT is not proxied: this is a reverse proxy";
        }
        String path = request.path();
        String problem = pathProblem(request.uri(), path == null ? "" : path);
        if (problem != null) {
            return problem;
        }
        if (request.getHeader(HttpHeaders.HOST) != null && request.authority() == null) {
            return "the Host header is not a host: \"" + ClientText.shorten(request.getHeader(HttpHeaders.HOST)) + "\"";
        }
        return null;
    }

    /**
     * The forward-auth endpoint: the pipeline for the request the caller (nginx, Traefik, Caddy)
     * describes in its headers, answered 204 when it may pass; refused as the proxy would refuse it
     * (401 with the challenge page or a challenge, 429, 503 while the breaker is open), or, with
     * {@code ?deny=403} (nginx's {@code auth_request} passes only 401 and 403 on), 403 with the
     * refusal's status in {@code X-Gatehouse-Status}.
     */
    private void forwardAuth(RoutingContext ctx) {
        if (!forwardAuth) {
            AdminApi.error(ctx.response(), 404, "forward_auth not configured");
            return;
        }
        HttpServerRequest request = ctx.request();
        Optional<String> deny = AdminApi.param(ctx, "deny");
        if (deny.isEmpty()) {
            return;
        }
        boolean nginx = deny.get().equals("403");
        List<String> uris = request.headers().getAll("X-Forwarded-Uri");
        if (uris.isEmpty()) {
            AdminApi.error(ctx.response(), 400, "X-Forwarded-Uri required: the URI of the request to judge");
            return;
        }
        if (uris.size() > 1) { // a client's own beside the proxy's: which one the proxy meant is unknown
            AdminApi.error(ctx.response(), 400, "X-Forwarded-Uri given " + uris.size() + " times (expected: once)");
            return;
        }
        String uri = uris.getFirst();
        String path = forwardedPath(uri);
        String problem = pathProblem(uri, path);
        if (problem != null) { // the proxy would refuse it: so does its judge
            AdminApi.error(ctx.response(), 400, "X-Forwarded-Uri: " + problem);
            return;
        }
        gate(request, path, uri, true, nginx, null, () -> {
            LivePolicy.Policy now = policy.current();
            if (now.breakerState() == CircuitBreaker.State.OPEN
                    || now.breakerState() == CircuitBreaker.State.FORCED_OPEN) {
                deny(request, 503, UpstreamCall.BREAKER_OPEN, nginx);
                return;
            }
            request.response().setStatusCode(204).end();
        });
    }

    /**
     * Why a request target ({@code uri}, its path {@code path}) is not one to judge or pass on, or
     * null: a control character, space or byte outside ASCII (HTTP/1's codec refuses the first two;
     * an HTTP/2 {@code :path} or a forward-auth header can carry them; RFC 9112 allows no other), no path (origin-form), a dot segment however escaped, an
     * escaped escape.
     */
    static @Nullable String pathProblem(String uri, String path) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c >= 0x7F) { // a byte above ASCII would reach the upstream re-encoded
                return "a control character, space or byte outside ASCII in the request target (escape it as %XX)";
            }
        }
        if (!uri.startsWith("/") || path.isEmpty()) {
            return "the request target must be a path (origin-form), not \"" + ClientText.shorten(uri) + "\"";
        }
        String problem = ProtectedPaths.problem(path);
        if (problem != null) {
            return "path with " + problem + ": \"" + ClientText.shorten(path) + "\"";
        }
        return null;
    }

    /** The path of {@code uri}, the caller's request URI in {@code X-Forwarded-Uri}: its query cut. */
    private static String forwardedPath(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /**
     * The pipeline before the upstream, for {@code request} as if for {@code path} (its page {@code
     * uri}; {@code judging}: for a forward-auth caller, {@code nginx} one): client key, the waiting room's seat on its paths, the admission cookie on protected
     * paths, the rate limit. A refusal is answered here; a request that passes is handed to {@code
     * passed}.
     */
    private void gate(
            HttpServerRequest request,
            String path,
            String uri,
            boolean judging,
            boolean nginx,
            @Nullable Span span,
            Runnable passed) {
        long startNanos = clock.nowNanos();
        LivePolicy.Policy now = policy.current();
        Optional<SiteRoomPages> pages = room.filter(r -> r.covers(path));
        if (pages.isEmpty()) {
            pastTheRoom(request, path, nginx, span, passed, startNanos, now);
            return;
        }
        String clientKey = now.clientKeys().keyOf(request);
        Cookie cookie = request.getCookie(SiteRoom.SEAT_COOKIE);
        Span stage = stage(span, "gatehouse.waiting_room");
        request.pause(); // a body waits while the seat is looked up (in Redis, a round trip)
        RequestContext.whenComplete(
                pages.get().seat(cookie == null ? null : cookie.getValue(), clientKey, CookieKeys.secure(request)),
                (seat, failure) -> {
                    end(stage);
                    if (failure != null || seat == null) {
                        request.resume();
                        SEAT_DOWN_LOG.warn(request.method() + " " + request.path(), failure);
                        request.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
                        deny(request, 503, "waiting room unavailable\n", nginx);
                        refused(span, 503, Outcome.WAITING, startNanos);
                        return;
                    }
                    if (!seat.held()) {
                        request.resume(); // a body nobody reads is drained
                        if (nginx) {
                            deny(request, 401, "waiting room: no seat\n", true);
                        } else {
                            pages.get().refuse(request, uri, judging ? 401 : 200); // a judge's 2xx lets it through
                        }
                        refused(span, 200, Outcome.WAITING, startNanos);
                        return;
                    }
                    String renewed = seat.renewedCookie();
                    if (renewed != null) {
                        request.response().headers().add(HttpHeaders.SET_COOKIE, renewed);
                    }
                    pastTheRoom(request, path, nginx, span, passed, startNanos, now);
                });
    }

    /** The pipeline after the waiting room: the admission cookie on protected paths, the rate limit. */
    private void pastTheRoom(
            HttpServerRequest request,
            String path,
            boolean nginx,
            @Nullable Span span,
            Runnable passed,
            long startNanos,
            LivePolicy.Policy now) {
        if (now.rateLimit().isEmpty() && now.protect().isEmpty()) {
            passed.run();
            return;
        }
        String clientKey = now.clientKeys().keyOf(request);
        if (now.protect().covers(path)) {
            Span stage = stage(span, "gatehouse.admission");
            boolean admitted = admitted(request, now, clientKey);
            end(stage);
            if (!admitted) {
                admin.challenge(request);
                refused(span, 401, Outcome.CHALLENGED, startNanos);
                return;
            }
        }
        if (now.rateLimit().isEmpty()) {
            passed.run();
            return;
        }
        Span stage = stage(span, "gatehouse.rate_limit");
        Decision decision = now.rateLimit().orElseThrow().take(clientKey);
        end(stage);
        if (decision.allowed()) {
            passed.run();
            return;
        }
        long retry = RateLimitFields.retryAfterSeconds(decision);
        if (retry > 0) {
            request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retry));
        }
        deny(request, 429, RATE_LIMITED, nginx);
        refused(span, 429, Outcome.RATE_LIMITED, startNanos);
    }

    /** Counts a refusal, and ends the request's span with it. */
    private void refused(@Nullable Span span, int status, Outcome outcome, long startNanos) {
        metrics.request(outcome, clock.nowNanos() - startNanos);
        if (span != null) {
            GatewayTracing.end(span, status, outcome.label());
        }
    }

    private @Nullable Span stage(@Nullable Span request, String name) {
        return request == null ? null : tracing.orElseThrow().stage(request, name);
    }

    private static void end(@Nullable Span stage) {
        if (stage != null) {
            stage.end();
        }
    }

    /** Whether {@code request} carries a live admission cookie minted for {@code clientKey}. */
    private static boolean admitted(HttpServerRequest request, LivePolicy.Policy now, String clientKey) {
        Cookie cookie = request.getCookie(AdmissionCookie.NAME);
        return cookie != null
                && now.cookie().map(c -> c.valid(cookie.getValue(), clientKey)).orElse(false);
    }

    /** A refusal in Wicket's words (plain text), or nginx's 403 carrying the status it stands for. */
    private static void deny(HttpServerRequest request, int status, String text, boolean nginx) {
        request.response().putHeader("X-Content-Type-Options", "nosniff");
        if (nginx) {
            request.response().putHeader("X-Gatehouse-Status", Integer.toString(status));
        }
        ErrorStyle.sendText(request.response(), nginx ? 403 : status, text);
    }
}
