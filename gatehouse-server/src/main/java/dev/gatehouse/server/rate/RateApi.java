package dev.gatehouse.server.rate;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ClientText;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.PercentDecoding;
import dev.gatehouse.rate.KeySnapshot;
import dev.gatehouse.rate.RateRequest;
import dev.gatehouse.rate.RateService;
import dev.gatehouse.rate.RateVerdict;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP routes of the rate service, wire-compatible with gocc: {@code /rate/{key}}, {@code DELETE
 * /rate/{key}/{requestId}}, {@code /healthz}, {@code /debug} and {@code /debug/{key}}; plus {@code
 * RateLimit}/{@code RateLimit-Policy}/{@code Retry-After} headers and JSON decisions on request.
 */
public final class RateApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    private static final String RATE_PREFIX = "/rate/";
    private static final String DEBUG_PREFIX = "/debug/";

    private final RateService service;
    private final int debugMaxKeys;
    private final AtomicBoolean listing = new AtomicBoolean();

    public RateApi(RateService service, int debugMaxKeys) {
        this.service = service;
        this.debugMaxKeys = debugMaxKeys;
    }

    /**
     * Adds the routes to {@code router}. Calls of {@code /rate} are matched on the raw path by {@link
     * #withShortPath}; the router's routes for them only serve its 405 answers (with {@code Allow}).
     */
    public void mount(Router router) {
        // the router also matches a trailing slash (/rate/k/), which is no call: 404, as in gocc
        router.get("/rate/:key").handler(this::dispatchOrNext);
        router.post("/rate/:key").handler(this::dispatchOrNext);
        router.delete("/rate/:key/:requestId").handler(this::dispatchOrNext);
        router.get("/healthz").handler(ctx -> ctx.response().setStatusCode(200).end());
    }

    /** Adds {@code /debug} and {@code /debug/{key}} to {@code router} (the public or the admin listener's). */
    public void mountDebug(Router router) {
        router.get("/debug").handler(this::debugAll);
        router.get("/debug/:key").handler(this::debugKey);
    }

    private void dispatchOrNext(RoutingContext ctx) {
        if (!dispatch(ctx.request(), null)) {
            ctx.fail(404);
        }
    }

    /** The methods a path of this API answers, for {@code Allow} on a 405 (a trailing slash as the router reads it). */
    public static String allowedMethods(String rawPath) {
        String path =
                rawPath.length() > 1 && rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
        if (path.startsWith(RATE_PREFIX)) {
            return path.indexOf('/', RATE_PREFIX.length()) < 0 ? "GET, POST" : "DELETE";
        }
        return "GET";
    }

    /**
     * A request handler that answers calls of {@code /rate} itself, without the router (GET and POST
     * of {@code /rate/{key}}, DELETE of {@code /rate/{key}/{requestId}}), and hands every other
     * request to {@code router}. {@code accessLog} is written for those calls as the router would.
     */
    public Handler<HttpServerRequest> withShortPath(Handler<HttpServerRequest> router, Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.filter(AccessLog::enabled).orElse(null);
        return request -> {
            if (hasBody(request)) {
                router.handle(request); // bounded there; gocc ignores bodies, and so do the routes
            } else if (log == null) {
                if (!dispatch(request, null)) {
                    router.handle(request);
                }
            } else {
                long startNanos = System.nanoTime();
                if (!dispatch(request, status -> log.record(request, status, startNanos))) {
                    router.handle(request);
                }
            }
        };
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return (length != null && !length.equals("0")) || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }

    /*
     * The short path exists for throughput: the router's per-request work (route matching, a
     * routing context, an end handler for the access log) costs about as much as the decision
     * itself at 100,000 requests per second on one core. It also reads keys from the raw path, so
     * that a key is decoded one way (percent-escapes and raw bytes alike as UTF-8, strictly) and
     * trimmed as gocc trims it, whichever way it reaches the service.
     */

    /**
     * Answers {@code request} if it is a call of {@code /rate} with a non-empty key segment (and, for
     * DELETE, a non-empty id); returns false, having done nothing, for any other request.
     */
    private boolean dispatch(HttpServerRequest request, @Nullable IntConsumer answered) {
        String path = request.path();
        if (path == null || !path.startsWith(RATE_PREFIX) || path.length() == RATE_PREFIX.length()) {
            return false;
        }
        int slash = path.indexOf('/', RATE_PREFIX.length());
        HttpMethod method = request.method();
        if (slash < 0 && (HttpMethod.GET.equals(method) || HttpMethod.POST.equals(method))) {
            String key = PercentDecoding.path(path, RATE_PREFIX.length(), path.length());
            decide(request, key, answered);
            return true;
        }
        if (slash > RATE_PREFIX.length() && slash < path.length() - 1 && HttpMethod.DELETE.equals(method)) {
            String key = PercentDecoding.path(path, RATE_PREFIX.length(), slash);
            String requestId = PercentDecoding.path(path, slash + 1, path.length());
            release(request, key, requestId, answered);
            return true;
        }
        return false;
    }

    /** Decides a call of {@code /rate/{key}}; {@code answered}, if given, learns the status sent. */
    private void decide(HttpServerRequest request, @Nullable String key, @Nullable IntConsumer answered) {
        RateQuery query = RateQuery.parse(key, PercentDecoding.query(request.query()), service.permissions());
        switch (query) {
            case RateQuery.Rejection rejection -> {
                ErrorStyle.PLAIN.send(request.response(), rejection.status(), rejection.message());
                notify(answered, rejection.status());
            }
            case RateQuery.Valid(RateRequest call) -> {
                CompletableFuture<RateVerdict> verdict = service.acquire(call);
                boolean json = wantsJson(request);
                HttpServerResponse response = request.response();
                if (verdict.isDone()) {
                    notify(answered, answer(response, call.key(), verdict.join(), json));
                    return;
                }
                response.closeHandler(closed -> verdict.cancel(false));
                Context context = eventLoop();
                verdict.thenAccept(done ->
                        context.runOnContext(v -> notify(answered, answer(response, call.key(), done, json))));
            }
        }
    }

    private static void notify(@Nullable IntConsumer answered, int status) {
        if (answered != null && status != 0) {
            answered.accept(status);
        }
    }

    /**
     * Frees one slot of {@code key} (trimmed, as gocc does); any request id is taken, as gocc only
     * logs it. Store failures are answered 503.
     */
    private void release(
            HttpServerRequest request,
            @Nullable String rawKey,
            @Nullable String rawRequestId,
            @Nullable IntConsumer answered) {
        HttpServerResponse response = request.response();
        String key = rawKey == null ? null : GoText.trimSpace(rawKey);
        String requestId = rawRequestId == null ? null : GoText.trimSpace(rawRequestId);
        int status;
        if (key == null || requestId == null) {
            status = 400;
            ErrorStyle.PLAIN.send(response, status, "malformed path: a bad percent-escape or not UTF-8");
        } else if (key.isEmpty()) {
            status = 400;
            ErrorStyle.PLAIN.send(response, status, "empty key provided");
        } else if (requestId.isEmpty()) {
            status = 400;
            ErrorStyle.PLAIN.send(response, status, "empty id provided");
        } else {
            Context context = eventLoop();
            service.release(key)
                    .whenComplete((done, error) -> context.runOnContext(v -> {
                        if (error != null) {
                            ErrorStyle.PLAIN.send(response, 503, "rate store unavailable");
                            notify(answered, 503);
                        } else if (!response.ended() && !response.closed()) {
                            response.setStatusCode(200).end();
                            notify(answered, 200);
                        }
                    }));
            return;
        }
        notify(answered, status);
    }

    /**
     * {@code GET /debug}: gocc's {@code {"Instances": {key: snapshot}}}, a page at a time: {@code
     * limit} keys (at most, and by default, rate.debug-max-keys) after {@code cursor}, in key order,
     * with {@code "NextCursor"} when more follow. One listing runs at a time; another gets 429.
     */
    private void debugAll(RoutingContext ctx) {
        PercentDecoding.Query query = PercentDecoding.query(ctx.request().query());
        String limitText = query.first("limit");
        int limit = debugMaxKeys;
        if (limitText != null && !limitText.isEmpty()) {
            limit = limitText.length() <= 9 && limitText.chars().allMatch(c -> c >= '0' && c <= '9')
                    ? Integer.parseInt(limitText)
                    : -1;
            if (limit < 1 || limit > debugMaxKeys) {
                ErrorStyle.PLAIN.send(
                        ctx.response(),
                        400,
                        "limit: \"" + ClientText.shorten(limitText) + "\" (expected: 1 to " + debugMaxKeys
                                + ", rate.debug-max-keys)");
                return;
            }
        }
        if (query.malformed("cursor") || query.malformed("limit")) {
            ErrorStyle.PLAIN.send(ctx.response(), 400, "malformed query: a bad percent-escape or not UTF-8");
            return;
        }
        if (!listing.compareAndSet(false, true)) {
            ErrorStyle.PLAIN.send(ctx.response(), 429, "another /debug listing is in progress");
            return;
        }
        int pageSize = limit;
        CompletableFuture<Map<String, KeySnapshot>> page;
        try {
            page = service.snapshots(query.first("cursor"), pageSize + 1);
        } catch (RuntimeException e) {
            listing.set(false);
            throw e;
        }
        page.whenComplete((done, error) -> listing.set(false));
        reply(ctx, page, (response, snapshots) -> {
            ObjectNode instances = JSON.createObjectNode();
            String last = null;
            for (Map.Entry<String, KeySnapshot> entry : snapshots.entrySet()) {
                if (instances.size() == pageSize) {
                    break;
                }
                instances.set(entry.getKey(), debugNode(entry.getValue()));
                last = entry.getKey();
            }
            ObjectNode root = JSON.createObjectNode();
            root.set("Instances", instances);
            if (snapshots.size() > pageSize) {
                root.put("NextCursor", last);
            }
            json(response, 200, root.toString());
        });
    }

    /** {@code GET /debug/{key}}: the key as sent (not trimmed, as in gocc), or 404 {@code Key not found}. */
    private void debugKey(RoutingContext ctx) {
        String path = requireNonNull(ctx.request().path()); // routed here by it
        String key = PercentDecoding.path(path, DEBUG_PREFIX.length(), path.length());
        if (key == null) {
            ErrorStyle.PLAIN.send(ctx.response(), 400, "malformed key: a bad percent-escape or not UTF-8");
            return;
        }
        reply(ctx, service.snapshot(key), (response, snapshot) -> {
            if (snapshot.isEmpty()) {
                ErrorStyle.PLAIN.send(response, 404, "Key not found");
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
        Context context = eventLoop();
        stage.whenComplete((value, error) -> context.runOnContext(v -> {
            if (error != null) {
                ErrorStyle.PLAIN.send(response, 503, "rate store unavailable");
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
                service.release(key, verdict.decision().lease()); // admitted as its client left: nobody uses it
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
                    .putHeader(HttpHeaders.CONTENT_TYPE, ErrorStyle.PLAIN_TEXT)
                    .end(Long.toString(verdict.requestId()));
        } else if (status == 503) {
            ErrorStyle.PLAIN.send(response, 503, "shutting down");
        } else if (status == 400) {
            ErrorStyle.PLAIN.send(response, 400, requireNonNull(verdict.refusal())); // REFUSED carries one
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
            long retry = decision.nanosUntilRetry();
            node.put(
                    "retryAfterMillis",
                    retry == Decision.NEVER
                            ? RateHeaders.retryAfterSeconds(verdict) * 1000 // what Retry-After says
                            : (retry + 999_999) / 1_000_000);
        }
        if (verdict.refusal() != null) {
            node.put("reason", verdict.refusal());
        } else if (decision.outcome() == Decision.Outcome.TOO_MANY_KEYS) {
            node.put("reason", "the store holds rate.max-keys keys and none can be forgotten now");
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

    /** The context of the request being handled: handlers run on an event loop, so there is one. */
    private static Context eventLoop() {
        return requireNonNull(Vertx.currentContext(), "not on a Vert.x context");
    }
}
