package dev.gatehouse.server.rate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.server.http.AccessLog;
import dev.gatehouse.server.http.HttpSurface;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;

/**
 * The HTTP routes of the rate service, wire-compatible with gocc: {@code /rate/{key}}, {@code DELETE
 * /rate/{key}/{requestId}}, {@code /healthz}, {@code /debug} and {@code /debug/{key}}; plus {@code
 * RateLimit}/{@code RateLimit-Policy}/{@code Retry-After} headers and JSON decisions on request.
 */
public final class RateApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    private static final String RATE_PREFIX = "/rate/";

    private final RateService service;
    private final int debugMaxKeys;

    public RateApi(RateService service, int debugMaxKeys) {
        this.service = service;
        this.debugMaxKeys = debugMaxKeys;
    }

    /** Adds the routes to {@code router}. */
    public void mount(Router router) {
        router.routeWithRegex(HttpMethod.GET, "^/rate/?$").handler(this::emptyKey);
        router.routeWithRegex(HttpMethod.POST, "^/rate/?$").handler(this::emptyKey);
        router.get("/rate/:key").handler(this::decide);
        router.post("/rate/:key").handler(this::decide);
        router.delete("/rate/:key/:requestId").handler(this::release);
        router.get("/healthz").handler(ctx -> HttpSurface.plain(ctx.response(), 200, "OK"));
        router.get("/debug").handler(this::debugAll);
        router.get("/debug/:key").handler(this::debugKey);
    }

    private void emptyKey(RoutingContext ctx) {
        HttpSurface.plain(ctx.response(), 400, "empty key provided");
    }

    /**
     * A request handler that answers {@code GET}/{@code POST /rate/{key}} itself, without the
     * router, and hands every other request to {@code router}. Only plain requests take the short
     * path: a key without percent-escapes and no request body; the rest go through the router
     * like everything else. {@code accessLog} is written for the short path as the router would.
     */
    public Handler<HttpServerRequest> withShortPath(Handler<HttpServerRequest> router, Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.filter(AccessLog::enabled).orElse(null);
        return request -> {
            String key = plainRateKey(request);
            if (key == null) {
                router.handle(request);
                return;
            }
            if (log == null) {
                decide(request, key, null);
            } else {
                long startNanos = System.nanoTime();
                decide(request, key, status -> log.record(request, status, startNanos));
            }
        };
    }

    /*
     * The short path exists for throughput: the router's per-request work (route matching, a
     * routing context, an end handler for the access log) costs about as much as the decision
     * itself at 100,000 requests per second on one core.
     */
    private static String plainRateKey(HttpServerRequest request) {
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.POST) {
            return null;
        }
        String path = request.path();
        if (path.length() <= RATE_PREFIX.length()
                || !path.startsWith(RATE_PREFIX)
                || path.indexOf('/', RATE_PREFIX.length()) >= 0
                || path.indexOf('%') >= 0) {
            return null;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if ((length != null && !length.equals("0")) || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
            return null;
        }
        return path.substring(RATE_PREFIX.length());
    }

    private void decide(RoutingContext ctx) {
        decide(ctx.request(), ctx.pathParam("key"), null);
    }

    /** Decides a call of {@code /rate/{key}}; {@code answered}, if given, learns the status sent. */
    private void decide(HttpServerRequest request, String key, IntConsumer answered) {
        RateQuery query = RateQuery.parse(key, request::getParam, service.permissions());
        switch (query) {
            case RateQuery.Rejection rejection -> {
                HttpSurface.plain(request.response(), rejection.status(), rejection.message());
                notify(answered, rejection.status());
            }
            case RateQuery.Request call -> {
                CompletableFuture<RateVerdict> verdict = service.acquire(call);
                boolean json = wantsJson(request);
                HttpServerResponse response = request.response();
                if (verdict.isDone()) {
                    notify(answered, answer(response, call.key(), verdict.join(), json));
                    return;
                }
                response.closeHandler(closed -> verdict.cancel(false));
                Context context = Vertx.currentContext();
                verdict.thenAccept(done ->
                        context.runOnContext(v -> notify(answered, answer(response, call.key(), done, json))));
            }
        }
    }

    private static void notify(IntConsumer answered, int status) {
        if (answered != null && status != 0) {
            answered.accept(status);
        }
    }

    private void release(RoutingContext ctx) {
        String key = ctx.pathParam("key");
        String requestId = ctx.pathParam("requestId");
        if (key.isEmpty()) {
            emptyKey(ctx);
            return;
        }
        if (requestId.length() > 20 || !requestId.chars().allMatch(c -> c >= '0' && c <= '9')) {
            HttpSurface.plain(
                    ctx.response(),
                    400,
                    "invalid requestId: \"" + HttpSurface.shorten(requestId) + "\" (expected: a decimal id)");
            return;
        }
        reply(
                ctx,
                service.release(key),
                (response, done) -> response.setStatusCode(200).end());
    }

    private void debugAll(RoutingContext ctx) {
        reply(ctx, service.snapshots(debugMaxKeys), (response, snapshots) -> {
            ObjectNode instances = JSON.createObjectNode();
            for (Map.Entry<String, KeySnapshot> entry : snapshots.entrySet()) {
                instances.set(entry.getKey(), debugNode(entry.getValue()));
            }
            ObjectNode root = JSON.createObjectNode();
            root.set("Instances", instances);
            json(response, 200, root.toString());
        });
    }

    private void debugKey(RoutingContext ctx) {
        reply(ctx, service.snapshot(ctx.pathParam("key")), (response, snapshot) -> {
            if (snapshot.isEmpty()) {
                HttpSurface.plain(response, 404, "Key not found");
            } else {
                json(response, 200, debugNode(snapshot.get()).toString());
            }
        });
    }

    /**
     * Answers on the request's event loop once {@code stage} completes: with {@code answer}, or 503 if
     * the store could not answer.
     */
    private static <T> void reply(
            RoutingContext ctx, CompletionStage<T> stage, BiConsumer<HttpServerResponse, T> answer) {
        HttpServerResponse response = ctx.response();
        Context context = Vertx.currentContext();
        stage.whenComplete((value, error) -> context.runOnContext(v -> {
            if (error != null) {
                HttpSurface.plain(response, 503, "rate store unavailable");
            } else {
                answer.accept(response, value);
            }
        }));
    }

    private static ObjectNode debugNode(KeySnapshot snapshot) {
        ObjectNode node = JSON.createObjectNode();
        node.put("Key", snapshot.key());
        ObjectNode config = node.putObject("Config");
        config.put("WindowMillis", snapshot.limits().windowMillis());
        config.put("MaxRequestsPerWindow", snapshot.limits().maxRequests());
        config.put("MaxRequestsInQueue", snapshot.limits().maxRequestsInQueue());
        node.put("NumApprovedThisWindow", snapshot.approvedThisWindow());
        node.put("NumDeniedThisWindow", snapshot.deniedThisWindow());
        node.put("NumWaiting", snapshot.waiting());
        node.put("Found", true);
        return node;
    }

    /** Sends {@code verdict}; returns the status sent, or 0 when the client had gone away. */
    private int answer(HttpServerResponse response, String key, RateVerdict verdict, boolean json) {
        if (response.ended() || response.closed()) {
            if (verdict.allowed()) {
                service.release(key); // admitted as its client went away: nobody will use the permit
            }
            return 0;
        }
        RateHeaders.write(response.headers(), verdict);
        int status = switch (verdict.outcome()) {
            case ALLOWED -> 200;
            case DENIED, QUEUE_FULL -> 429;
            case UNAVAILABLE -> 503;
            case REFUSED -> 400;
        };
        if (json) {
            json(response, status, decisionNode(key, verdict).toString());
        } else if (verdict.allowed()) {
            response.setStatusCode(200)
                    .putHeader(HttpHeaders.CONTENT_TYPE, HttpSurface.PLAIN_TEXT)
                    .end(Long.toString(verdict.requestId()));
        } else if (status == 503) {
            HttpSurface.plain(response, 503, "shutting down");
        } else if (status == 400) {
            RateLimits limits = verdict.limits();
            HttpSurface.plain(
                    response,
                    400,
                    "maxRequests: " + limits.maxRequests() + " (expected: a limit the shared store can keep exactly: "
                            + "smaller for " + limits.algorithm().configName() + " over " + limits.windowMillis()
                            + " ms)");
        } else {
            response.setStatusCode(status).end();
        }
        return status;
    }

    private static ObjectNode decisionNode(String key, RateVerdict verdict) {
        Decision decision = verdict.decision();
        ObjectNode node = JSON.createObjectNode();
        node.put("allowed", verdict.allowed());
        node.put("outcome", verdict.outcome().name().toLowerCase(Locale.ROOT));
        node.put("key", key);
        if (verdict.allowed()) {
            node.put("requestId", verdict.requestId());
        }
        node.put("algorithm", verdict.limits().algorithm().configName());
        node.put("limit", verdict.limits().maxRequests());
        node.put("remaining", decision.remaining());
        node.put("windowMillis", verdict.limits().windowMillis());
        putMillis(node, "resetMillis", decision.nanosUntilReset());
        if (!verdict.allowed()) {
            putMillis(node, "retryAfterMillis", decision.nanosUntilRetry());
        }
        return node;
    }

    private static void putMillis(ObjectNode node, String field, long nanos) {
        if (nanos == Decision.NEVER) {
            node.putNull(field);
        } else {
            node.put(field, (nanos + 999_999) / 1_000_000);
        }
    }

    private static boolean wantsJson(HttpServerRequest request) {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        return accept != null && accept.contains(JSON_TYPE);
    }

    private static void json(HttpServerResponse response, int status, String body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
                .end(body);
    }
}
