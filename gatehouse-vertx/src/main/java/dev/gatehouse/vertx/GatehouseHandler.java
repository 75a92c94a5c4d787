package dev.gatehouse.vertx;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.gate.AdmissionGate;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Gatehouse in front of a Vert.x Web application: an {@link AdmissionGate} (limits per path prefix
 * and client key, a circuit breaker) judges each request routed through this handler; a refusal is
 * answered here (429 or 503, text, with {@code RateLimit}, {@code RateLimit-Policy} and {@code
 * Retry-After}), and a request let through goes on to the next handler and reports its end to the
 * gate when its answer ends (its status; a 5xx a failure handler wrote counts as one), or that it was
 * abandoned when the connection closed first. The request's body waits while the gate asks its store.
 *
 * <pre>{@code
 * router.route().handler(new GatehouseHandler(AdmissionGate.builder()
 *         .limit("/api/", "api", LimitSpec.tokenBucket(100, 50, Duration.ofSeconds(1)))
 *         .keys(KeyExtractor.forwardedFor(1))
 *         .build()));
 * }</pre>
 */
public final class GatehouseHandler implements Handler<RoutingContext> {

    private final AdmissionGate gate;

    /** A handler judging requests by {@code gate}. */
    public GatehouseHandler(AdmissionGate gate) {
        this.gate = Require.given("gate", gate, "an admission gate");
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String path;
        try {
            path = ctx.normalizedPath();
        } catch (IllegalArgumentException malformed) { // an escape that does not decode: no path to judge
            ctx.response()
                    .setStatusCode(400)
                    .putHeader("Content-Type", "text/plain; charset=UTF-8")
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .end("malformed request path: a percent-escape that does not decode\n");
            return;
        }
        User user = ctx.user();
        request.pause(); // a body waits for the verdict (the gate may ask Redis)
        RequestContext.whenComplete(
                gate.judge(path, new VertxRequestFacts(request, user == null ? null : user.subject())),
                (verdict, failure) -> carryOut(ctx, requireNonNull(verdict, "the gate always answers a verdict")));
    }

    private static void carryOut(RoutingContext ctx, AdmissionGate.Verdict verdict) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            if (verdict instanceof AdmissionGate.Pass pass) {
                pass.call().abandoned();
            }
            return;
        }
        for (Map.Entry<String, String> header : verdict.headers().entrySet()) {
            response.putHeader(header.getKey(), header.getValue());
        }
        ctx.request().resume();
        switch (verdict) {
            case AdmissionGate.Refuse refuse ->
                response.setStatusCode(refuse.status())
                        .putHeader("Content-Type", "text/plain; charset=UTF-8")
                        .putHeader("X-Content-Type-Options", "nosniff")
                        .end(refuse.body());
            case AdmissionGate.Pass pass -> {
                AdmissionGate.Call call = pass.call();
                ctx.addEndHandler(ended -> {
                    if (ended.succeeded()) {
                        call.answered(response.getStatusCode());
                    } else {
                        call.abandoned();
                    }
                });
                ctx.next();
            }
        }
    }
}
