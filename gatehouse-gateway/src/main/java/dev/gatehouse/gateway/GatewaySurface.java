package dev.gatehouse.gateway;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.Surface;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.Optional;

/**
 * The gateway's listener: the admin API under its prefix (outside the pipeline, as in Wicket), and
 * every other request through the pipeline: client key, the admission cookie on protected paths
 * (the challenge page or a 401 with a challenge without it), rate limit (429 {@code rate limit
 * exceeded}), then the breaker and the upstream ({@link Upstream}).
 */
final class GatewaySurface implements Surface {

    static final String RATE_LIMITED = "rate limit exceeded\n";

    private final Address address;
    private final String adminPrefix;
    private final AdminApi admin;
    private final LivePolicy policy;
    private final Upstream upstream;
    private final GatewayMetrics metrics;
    private final NanoClock clock;

    GatewaySurface(
            Address address,
            String adminPrefix,
            AdminApi admin,
            LivePolicy policy,
            Upstream upstream,
            GatewayMetrics metrics,
            NanoClock clock) {
        this.address = address;
        this.adminPrefix = adminPrefix;
        this.admin = admin;
        this.policy = policy;
        this.upstream = upstream;
        this.metrics = metrics;
        this.clock = clock;
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
    public String allowedMethods(String path) {
        return admin.allowedMethods(path);
    }

    @Override
    public void mount(Router router) {
        admin.mount(router);
    }

    @Override
    public Handler<HttpServerRequest> front(Router router, Optional<AccessLog> accessLog) {
        return request -> {
            String path = request.path();
            if (path != null && path.startsWith(adminPrefix)) {
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

    /** The pipeline: client key, admission cookie on protected paths, rate limit; then the upstream. */
    private void proxy(HttpServerRequest request) {
        long startNanos = clock.nowNanos();
        LivePolicy.Policy now = policy.current();
        if (now.rateLimit().isEmpty() && now.protect().isEmpty()) {
            upstream.handle(request);
            return;
        }
        String clientKey = now.clientKeys().keyOf(request);
        String path = request.path();
        if (now.protect().covers(path == null ? "" : path) && !admitted(request, now, clientKey)) {
            admin.challenge(request);
            metrics.request(Outcome.CHALLENGED, clock.nowNanos() - startNanos);
            return;
        }
        if (now.rateLimit().isEmpty()) {
            upstream.handle(request);
            return;
        }
        now.rateLimit().orElseThrow().take(clientKey).thenAccept(decision -> {
            if (decision.allowed()) {
                upstream.handle(request);
            } else {
                refuse(request, decision);
                metrics.request(Outcome.RATE_LIMITED, clock.nowNanos() - startNanos);
            }
        });
    }

    /** Whether {@code request} carries a live admission cookie minted for {@code clientKey}. */
    private static boolean admitted(HttpServerRequest request, LivePolicy.Policy now, String clientKey) {
        Cookie cookie = request.getCookie(AdmissionCookie.NAME);
        return cookie != null
                && now.cookie().map(c -> c.valid(cookie.getValue(), clientKey)).orElse(false);
    }

    /** Wicket's 429, plus when to come back. */
    private static void refuse(HttpServerRequest request, Decision decision) {
        if (decision.nanosUntilRetry() > 0 && decision.nanosUntilRetry() != Decision.NEVER) {
            request.response()
                    .putHeader(
                            HttpHeaders.RETRY_AFTER, Long.toString(Upstream.ceilSeconds(decision.nanosUntilRetry())));
        }
        request.response().putHeader("X-Content-Type-Options", "nosniff");
        ErrorStyle.sendText(request.response(), 429, RATE_LIMITED);
    }
}
