package dev.gatehouse.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.gatehouse.gateway.GatewayMetrics.Verified;
import dev.gatehouse.http.ClientText;
import dev.gatehouse.http.Download;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.HtmlText;
import dev.gatehouse.http.ThrottledWarning;
import dev.gatehouse.http.WebAssets;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowAlgorithm;
import dev.gatehouse.proof.pow.PowVerdict;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.proof.token.AdmissionTokens;
import dev.gatehouse.vertx.RequestContext;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.RoomDraw;
import dev.gatehouse.waitingroom.draw.Beacon;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wicket's admin API under the prefix: {@code challenge}, {@code solve}, {@code enqueue}, {@code
 * status}, answering as Wicket does (statuses, bodies, messages, 404 when a component is off, the
 * method checked before that, 8 KiB bodies, unknown fields refused). Beyond it: {@code solve} mints a
 * single-use admission token when {@code admission.required} is on, and {@code enqueue} then spends
 * one; the challenge names its hash and parameters; challenges, tokens and the queue live in Redis
 * with {@code store.backend: redis}.
 */
final class AdminApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    private static final ThrottledWarning STORE_DOWN_LOG =
            new ThrottledWarning(LOG, "the gateway's store did not answer; requests get 503");

    /** Wicket's bound on admin bodies. */
    static final int MAX_BODY_BYTES = 8 * 1024;

    /** The headers an admission token is read from: Gatehouse's, then Wicket's. */
    static final List<String> TOKEN_HEADERS = List.of("X-Gatehouse-Token", "X-Wicket-Token");

    private static final JsonFactory JSON = new JsonFactory();
    private static final String JSON_TYPE = "application/json";

    /** The browser SDK's modules the challenge page's worker runs, served under {@code <prefix>assets/}. */
    private static final List<String> SDK_ASSETS = List.of("pow-worker.js", "pow.js");

    private static final String PAGE = resource("challenge.html");

    private final String prefix;
    private final String page;
    private final Optional<ProofOfWork> pow;
    private final Optional<PowAlgorithm> algorithm;
    private final Optional<TicketQueue> queue;
    private final LivePolicy policy;
    private final GatewayMetrics metrics;

    AdminApi(
            String prefix,
            Optional<ProofOfWork> pow,
            Optional<PowAlgorithm> algorithm,
            Optional<TicketQueue> queue,
            LivePolicy policy,
            GatewayMetrics metrics) {
        this.prefix = prefix;
        this.page = PAGE.replace("{{prefix}}", HtmlText.escape(prefix));
        this.pow = pow;
        this.algorithm = algorithm;
        this.queue = queue;
        this.policy = policy;
        this.metrics = metrics;
    }

    void mount(Router router) {
        WebAssets.serveScript(router, prefix + "assets/challenge.js", Buffer.buffer(resource("challenge.js")));
        for (String asset : SDK_ASSETS) {
            WebAssets.serveScript(router, prefix + "assets/" + asset, WebAssets.sdk(asset));
        }
        router.route(prefix + "page").handler(ctx -> {
            if (method(ctx, HttpMethod.GET, HttpMethod.HEAD)
                    && configured(ctx, policy.current().cookie().isPresent(), "admission cookie")) {
                challenge(ctx.request()); // for a proxy in front that shows it on a 401 (nginx's error_page)
            }
        });
        BodyHandler bodies = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        router.route(prefix + "challenge").handler(this::challenge);
        // the method and the component are checked before the body is read (a second route of the path reads it)
        router.route(prefix + "solve").handler(ctx -> {
            if (method(ctx, HttpMethod.POST) && configured(ctx, pow.isPresent(), "challenger")) {
                ctx.next();
            }
        });
        router.route(prefix + "solve").handler(bodies).handler(this::solve).failureHandler(AdminApi::bodyFailed);
        router.route(prefix + "enqueue").handler(this::enqueue);
        router.route(prefix + "status").handler(ctx -> {
            if (method(ctx, HttpMethod.GET, HttpMethod.POST) && configured(ctx, queue.isPresent(), "queue")) {
                ctx.next();
            }
        });
        router.route(prefix + "status").handler(bodies).handler(this::status).failureHandler(AdminApi::bodyFailed);
        mountDraw(router, prefix + "draw/");
    }

    /**
     * The draw's files for anyone to check ({@code gatehouse verify}): {@code record}, {@code commit},
     * {@code tickets} (the list) and {@code proof?ticket=} (a ticket's inclusion proof), once the
     * queue is opened.
     */
    private void mountDraw(Router router, String base) {
        for (String file : RoomDraw.FILES) {
            router.route(base + file).handler(ctx -> {
                if (method(ctx, HttpMethod.GET, HttpMethod.HEAD) && configured(ctx, queue.isPresent(), "queue")) {
                    drawFile(ctx, file);
                }
            });
        }
    }

    private void drawFile(RoutingContext ctx, String file) {
        Optional<RoomDraw> draw = queue.orElseThrow().draw();
        Optional<String> ticket = file.equals("proof") ? param(ctx, "ticket") : Optional.of("");
        if (draw.isEmpty()) {
            error(ctx.response(), 404, "no draw yet");
        } else if (ticket.isPresent()) { // else answered 400
            RequestContext.whenComplete(draw.get().file(file, ticket.get()), (answer, failure) -> {
                if (failure != null || answer == null) {
                    storeFailed(ctx, "draw unavailable", failure);
                } else {
                    Download.sendOrRefuse(
                            ctx,
                            ErrorStyle.ERROR,
                            answer.mediaType(),
                            answer.bytes(),
                            answer.malformed(),
                            answer.refusal());
                }
            });
        }
    }

    /**
     * The query parameter {@code name} ("" when absent); when the query's escapes do not decode, the
     * request is answered 400 here and the result is empty.
     */
    static Optional<String> param(RoutingContext ctx, String name) {
        try {
            return Optional.of(ctx.request().getParam(name, ""));
        } catch (IllegalArgumentException e) {
            error(ctx.response(), 400, "malformed query: a percent-escape that does not decode");
            return Optional.empty();
        }
    }

    /**
     * The queue's operations on the private admin listener: {@code GET /queue} (its counts), {@code
     * POST /queue/advance?n=} (admit the next n tickets now, whatever the policy), {@code POST
     * /queue/open} (draw a pre-queue's order and queue it), and the draw's files under {@code
     * /queue/draw/}.
     */
    void mountPrivate(Router router) {
        router.route("/queue/open").handler(ctx -> {
            if (method(ctx, HttpMethod.POST) && configured(ctx, queue.isPresent(), "queue")) {
                RequestContext.whenComplete(
                        queue.orElseThrow().open(), (opened, failure) -> answerOpened(ctx, opened, failure));
            }
        });
        router.route("/queue/reveal").handler(ctx -> {
            if (!method(ctx, HttpMethod.POST) || !configured(ctx, queue.isPresent(), "queue")) {
                return;
            }
            Optional<String> value = param(ctx, "beacon_value");
            if (value.isEmpty()) {
                return;
            }
            String hex = value.get();
            if (hex.isEmpty()
                    || hex.length() > 2 * DrawRecord.MAX_BEACON_VALUE_BYTES
                    || hex.length() % 2 != 0
                    || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                error(
                        ctx.response(),
                        400,
                        "beacon_value: the round's value as lowercase hex, 1 to " + DrawRecord.MAX_BEACON_VALUE_BYTES
                                + " bytes");
                return;
            }
            RequestContext.whenComplete(
                    queue.orElseThrow().reveal(HexFormat.of().parseHex(hex)),
                    (opened, failure) -> answerOpened(ctx, opened, failure));
        });
        mountDraw(router, "/queue/draw/");
        router.route("/queue").handler(ctx -> {
            if (method(ctx, HttpMethod.GET, HttpMethod.HEAD) && configured(ctx, queue.isPresent(), "queue")) {
                RequestContext.whenComplete(
                        queue.orElseThrow().counts(), (counts, failure) -> answerCounts(ctx, counts, failure));
            }
        });
        router.route("/queue/advance").handler(ctx -> {
            if (!method(ctx, HttpMethod.POST) || !configured(ctx, queue.isPresent(), "queue")) {
                return;
            }
            Optional<String> n = param(ctx, "n");
            if (n.isEmpty()) {
                return;
            }
            long count;
            try {
                count = Long.parseLong(n.get());
            } catch (NumberFormatException e) {
                count = -1;
            }
            if (count < 1 || count > QueueState.MAX_ADMITTED_PER_ADVANCE) {
                error(
                        ctx.response(),
                        400,
                        "n: \"" + ClientText.shorten(n.get()) + "\" (expected: 1 to "
                                + QueueState.MAX_ADMITTED_PER_ADVANCE + ")");
                return;
            }
            RequestContext.whenComplete(
                    queue.orElseThrow().advance(count), (counts, failure) -> answerCounts(ctx, counts, failure));
        });
    }

    /**
     * An open's or reveal's answer: 200 once drawn and queued, 202 when the commit waits for its
     * beacon round, 409 when the queue's state refuses it.
     */
    private static void answerOpened(
            RoutingContext ctx, RoomDraw.@Nullable Opened opened, @Nullable Throwable failure) {
        Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RoomDraw.RefusedException refused) {
            error(ctx.response(), 409, String.valueOf(refused.getMessage()));
            return;
        }
        if (cause != null || opened == null) {
            storeFailed(ctx, "open failed", cause);
            return;
        }
        String root = opened.root().map(r -> "\"" + r + "\"").orElse("null");
        Beacon beacon = opened.beacon();
        if (opened.drawn() || beacon == null) {
            json(ctx.response(), 200, "{\"opened\":true,\"drawn\":" + opened.tickets() + ",\"root\":" + root + "}");
            return;
        }
        json(
                ctx.response(),
                202,
                "{\"opened\":false,\"committed\":" + opened.tickets() + ",\"root\":" + root
                        + ",\"beacon\":{\"chain\":\""
                        + quote(beacon.chain()) + "\",\"round\":" + beacon.round() + ",\"published_at\":"
                        + beacon.roundTime() + "}}");
    }

    private static void answerCounts(
            RoutingContext ctx, QueueState.@Nullable RoomStats answer, @Nullable Throwable failure) {
        if (failure != null || answer == null) {
            storeFailed(ctx, "queue unavailable", failure);
            return;
        }
        QueueState.RoomStats counts = answer;
        json(
                ctx.response(),
                200,
                "{\"size\":" + counts.queued() + ",\"registered\":" + counts.registered() + ",\"cursor\":"
                        + counts.admittedTotal() + ",\"admitted\":" + counts.ready() + ",\"expired_total\":"
                        + counts.expiredTotal() + ",\"ticks\":" + counts.ticks() + "}");
    }

    /** The methods an admin path answers, for the {@code Allow} header of a 405. */
    String allowedMethods(String path) {
        if (path.startsWith(prefix + "assets/") || path.equals(prefix + "page")) {
            return "GET, HEAD";
        }
        if (path.startsWith(prefix + "draw/")) {
            return "GET, HEAD";
        }
        return path.equals(prefix + "status") ? "GET, POST" : "POST";
    }

    private void challenge(RoutingContext ctx) {
        if (!method(ctx, HttpMethod.POST) || !configured(ctx, pow.isPresent(), "challenger")) {
            return;
        }
        json(ctx.response(), 200, challengeJson());
    }

    /**
     * Answers a request for a protected path without a live admission cookie: a browser asking for a
     * page gets the challenge page, which solves a challenge and comes back with the cookie; any
     * other client gets 401 with a challenge to solve and where to send the solution.
     */
    void challenge(HttpServerRequest request) {
        HttpServerResponse response = request.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        boolean browser =
                (request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD))
                        && accept != null
                        && accept.contains("text/html");
        if (browser) {
            response.setStatusCode(401)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                    .putHeader(
                            "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self';"
                                    + " style-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
                                    + " frame-ancestors 'none'")
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .end(page);
            return;
        }
        json(
                response,
                401,
                "{\"error\":\"admission required\",\"challenge\":" + challengeJson() + ",\"solve\":\""
                        + quote(prefix + "solve") + "\"}");
    }

    /** A new challenge on the wire: Wicket's fields, and the hash with its parameters. */
    private String challengeJson() {
        Challenge challenge = pow.orElseThrow().issue(load());
        metrics.issued();
        StringBuilder body = new StringBuilder(256)
                .append("{\"id\":\"")
                .append(challenge.id())
                .append("\",\"payload\":\"")
                .append(challenge.payloadHex())
                .append("\",\"difficulty\":")
                .append(challenge.difficulty())
                .append(",\"expires_at\":")
                .append(Math.floorDiv(challenge.expiresAtMillis(), 1000));
        switch (algorithm.orElseThrow()) {
            case PowAlgorithm.Sha256 sha256 -> body.append(",\"algorithm\":\"sha256\"");
            case PowAlgorithm.Argon2id argon2 ->
                body.append(",\"algorithm\":\"argon2id\",\"argon2\":{\"memory_kib\":")
                        .append(argon2.memoryKiB())
                        .append(",\"iterations\":")
                        .append(argon2.iterations())
                        .append(",\"parallelism\":")
                        .append(argon2.parallelism())
                        .append('}');
        }
        return body.append('}').toString();
    }

    /**
     * The load difficulty follows, in [0, 1]: the breaker's state (half-open 0.75, open 1) or the
     * queue's length over 10,000, whichever is higher, as Wicket's middleware derives it, or the
     * adaptive limit's use.
     */
    private double load() {
        double pipelineLoad = policy.current().load();
        double queueLoad = queue.map(q -> Math.min(1.0, q.size() / 10_000.0)).orElse(0.0);
        return Math.max(pipelineLoad, queueLoad);
    }

    private void solve(RoutingContext ctx) {
        Map<String, String> fields = fields(ctx.body().buffer(), "id", "nonce");
        if (fields == null) {
            error(ctx.response(), 400, "bad request");
            return;
        }
        String nonce = fields.getOrDefault("nonce", "");
        if (!isHex(nonce)) {
            error(ctx.response(), 400, "bad nonce");
            return;
        }
        String id = fields.getOrDefault("id", "");
        CompletionStage<PowVerdict> verdict = nonce.isEmpty() || nonce.length() > 2 * ProofOfWork.MAX_NONCE_BYTES
                ? java.util.concurrent.CompletableFuture.completedStage(PowVerdict.INSUFFICIENT_WORK)
                : pow.orElseThrow().verifyHex(id, nonce);
        RequestContext.whenComplete(verdict, (result, failure) -> {
            if (failure != null) {
                LOG.error("verifying a solution failed", failure);
                error(ctx.response(), 500, "verify failed");
                return;
            }
            answerSolve(ctx, result);
        });
    }

    private void answerSolve(RoutingContext ctx, PowVerdict verdict) {
        switch (verdict) {
            case ACCEPTED -> {
                metrics.verified(Verified.OK);
                LivePolicy.Policy now = policy.current();
                now.cookie()
                        .ifPresent(cookie -> ctx.response()
                                .putHeader(
                                        HttpHeaders.SET_COOKIE,
                                        cookie.header(
                                                cookie.mint(now.clientKeys().keyOf(ctx.request())),
                                                CookieKeys.secure(ctx.request()))));
                String body = now.tokens()
                        .map(t -> "{\"ok\":true,\"token\":\""
                                + t.issue(now.clientKeys().keyOf(ctx.request())) + "\"}")
                        .orElse("{\"ok\":true}");
                json(ctx.response(), 200, body);
            }
            case BUSY, UNAVAILABLE -> { // the server's trouble, not a wrong answer: the challenge stays solvable
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                json(ctx.response(), 503, "{\"ok\":false}");
            }
            case MALFORMED_ID, BAD_SIGNATURE, EXPIRED, REPLAYED -> {
                metrics.verified(Verified.UNKNOWN);
                json(ctx.response(), 401, "{\"ok\":false}");
            }
            case BAD_NONCE, INSUFFICIENT_WORK -> {
                metrics.verified(Verified.INVALID);
                json(ctx.response(), 401, "{\"ok\":false}");
            }
        }
    }

    private void enqueue(RoutingContext ctx) {
        if (!method(ctx, HttpMethod.POST) || !configured(ctx, queue.isPresent(), "queue")) {
            return;
        }
        Optional<AdmissionTokens> tokens = policy.current().tokens();
        if (tokens.isEmpty()) {
            issueTicket(ctx);
            return;
        }
        String token = null;
        for (String header : TOKEN_HEADERS) {
            token = ctx.request().getHeader(header);
            if (token != null) {
                break;
            }
        }
        if (token == null || token.isEmpty()) {
            error(ctx.response(), 401, "admission token required");
            return;
        }
        String clientKey = policy.current().clientKeys().keyOf(ctx.request());
        RequestContext.whenComplete(tokens.orElseThrow().verify(token), (verification, failure) -> {
            if (failure != null) {
                LOG.error("verifying an admission token failed", failure);
                error(ctx.response(), 500, "admission verify failed");
                return;
            }
            switch (verification.outcome()) {
                case ACCEPTED -> {
                    // minted for the client that solved: a token handed on to another client is spent, and no use
                    if (verification.subject().filter(clientKey::equals).isPresent()) {
                        issueTicket(ctx);
                    } else {
                        error(ctx.response(), 401, "admission token is another client's");
                    }
                }
                case REPLAYED -> error(ctx.response(), 401, "admission token already used");
                case EXPIRED -> error(ctx.response(), 401, "admission token expired");
                case MALFORMED, BAD_SIGNATURE -> error(ctx.response(), 401, "invalid admission token");
                case UNAVAILABLE -> {
                    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                    error(ctx.response(), 503, "admission store unavailable");
                }
            }
        });
    }

    private void issueTicket(RoutingContext ctx) {
        RequestContext.whenComplete(queue.orElseThrow().enqueue(), (ticket, failure) -> {
            if (failure != null) {
                storeFailed(ctx, "enqueue failed", failure);
                return;
            }
            json(
                    ctx.response(),
                    200,
                    "{\"ticket_id\":\"" + ticket.ticketId() + "\",\"issued\":" + ticket.issued() + "}");
        });
    }

    private void status(RoutingContext ctx) {
        String ticket;
        if (ctx.request().method().equals(HttpMethod.GET)) {
            ticket = ctx.request().getParam("ticket", "");
        } else {
            Map<String, String> fields = fields(ctx.body().buffer(), "ticket_id");
            if (fields == null) {
                error(ctx.response(), 400, "bad request");
                return;
            }
            ticket = fields.getOrDefault("ticket_id", "");
        }
        if (ticket.isEmpty()) {
            error(ctx.response(), 400, "ticket required");
            return;
        }
        if (ticket.length() > 64) { // no ticket is longer; not worth a store lookup
            error(ctx.response(), 404, "unknown ticket");
            return;
        }
        RequestContext.whenComplete(queue.orElseThrow().status(ticket), (status, failure) -> {
            if (failure != null) {
                storeFailed(ctx, "status failed", failure);
                return;
            }
            if (status.isEmpty()) {
                error(ctx.response(), 404, "unknown ticket");
                return;
            }
            TicketQueue.Status s = status.orElseThrow();
            // a registered ticket has no place before the draw: null where Wicket's client reads a number
            json(
                    ctx.response(),
                    200,
                    "{\"ticket_id\":\"" + quote(s.ticketId()) + "\",\"position\":"
                            + (s.prequeue() ? "null" : s.position()) + ",\"cursor\":" + s.cursor() + ",\"ahead\":"
                            + (s.prequeue() ? "null" : s.ahead()) + ",\"admitted\":" + s.admitted()
                            + (s.prequeue() ? ",\"prequeue\":true}" : "}"));
        });
    }

    private static String resource(String name) {
        return new String(WebAssets.read(AdminApi.class, "page/" + name), StandardCharsets.UTF_8);
    }

    /**
     * A store that failed (Redis down): 503, the failure logged without its stack, at most once every
     * few seconds, however many requests meet it.
     */
    private static void storeFailed(RoutingContext ctx, String message, @Nullable Throwable failure) {
        STORE_DOWN_LOG.warn(message, failure);
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        error(ctx.response(), 503, message);
    }

    /** Whether the request's method is one of {@code allowed}; if not, Wicket's 405 (with {@code Allow}). */
    private static boolean method(RoutingContext ctx, HttpMethod... allowed) {
        for (HttpMethod method : allowed) {
            if (ctx.request().method().equals(method)) {
                return true;
            }
        }
        StringBuilder allow = new StringBuilder();
        for (HttpMethod method : allowed) {
            allow.append(allow.isEmpty() ? "" : ", ").append(method.name());
        }
        ctx.response().putHeader(HttpHeaders.ALLOW, allow.toString()); // RFC 9110 asks it of every 405
        error(ctx.response(), 405, "method not allowed");
        return false;
    }

    /** Whether the component is on; if not, 404 naming it, as Wicket answers. */
    private static boolean configured(RoutingContext ctx, boolean on, String component) {
        if (!on) {
            error(ctx.response(), 404, component + " not configured");
        }
        return on;
    }

    /** A body over 8 KiB or one that could not be read: 400 {@code bad request}, as Wicket answers. */
    private static void bodyFailed(RoutingContext ctx) {
        LOG.debug(
                "{} {}: body not read: {}",
                ctx.request().method(),
                ctx.request().path(),
                ctx.failure());
        if (ctx.response().closed() || ctx.response().ended()) {
            return;
        }
        error(ErrorStyle.closing(ctx.request()), 400, "bad request");
    }

    /**
     * The string fields of a JSON object body as Go's decoder with {@code DisallowUnknownFields}
     * reads them: names matched without regard to case, the last of a repeated name kept, {@code
     * null} (as the whole body or as a field's value) leaving fields empty, and anything after the
     * object ignored. Null when the body is not such an object: empty, not JSON, a field of another
     * name, or a value that is not a string.
     */
    static @Nullable Map<String, String> fields(@Nullable Buffer body, String... names) {
        if (body == null || body.length() == 0) {
            return null;
        }
        Map<String, String> fields = new HashMap<>();
        try (JsonParser parser = JSON.createParser(body.getBytes())) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                return fields;
            }
            if (first != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = known(parser.currentName(), names);
                JsonToken value = parser.nextToken();
                if (name == null) {
                    return null;
                }
                if (value == JsonToken.VALUE_STRING) {
                    fields.put(name, parser.getText());
                } else if (value != JsonToken.VALUE_NULL) {
                    return null;
                }
            }
            return parser.currentToken() == JsonToken.END_OBJECT ? fields : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static @Nullable String known(String name, String... names) {
        for (String known : names) {
            if (known.equals(name)) {
                return known;
            }
        }
        for (String known : names) {
            if (known.equalsIgnoreCase(name)) { // Go matches names without regard to case when none matches exactly
                return known;
            }
        }
        return null;
    }

    private static boolean isHex(String text) {
        if (text.length() % 2 != 0) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    private static String quote(String text) {
        return new String(JsonStringEncoder.getInstance().quoteAsString(text));
    }

    static void error(HttpServerResponse response, int status, String message) {
        ErrorStyle.ERROR.send(response, status, message);
    }

    private static void json(HttpServerResponse response, int status, String body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
                .end(body + "\n");
    }
}
