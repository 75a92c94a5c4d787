package dev.gatehouse.gateway;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.Surface;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.Optional;

/**
 * The gateway's listener: the admin API under its prefix (outside the pipeline, as in Wicket), and
 * every other request through the pipeline: client key, rate limit (429 {@code rate limit
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
        return AdminApi.allowedMethods(adminPrefix, path);
    }

    @Override
    public void mount(Router router) {
        admin.mount(router, adminPrefix);
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

    private void proxy(HttpServerRequest request) {
        LivePolicy.Policy now = policy.current();
        if (now.rateLimit().isEmpty()) {
            upstream.handle(request);
            return;
        }
        long startNanos = clock.nowNanos();
        now.rateLimit().orElseThrow().take(now.clientKeys().keyOf(request)).thenAccept(decision -> {
            if (decision.allowed()) {
                upstream.handle(request);
            } else {
                refuse(request, decision);
                metrics.request(Outcome.RATE_LIMITED, clock.nowNanos() - startNanos);
            }
        });
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
