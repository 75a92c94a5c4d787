package dev.gatehouse.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.HtmlText;
import dev.gatehouse.http.ThrottledWarning;
import dev.gatehouse.http.page.NoScriptPage;
import dev.gatehouse.http.page.PageLook;
import dev.gatehouse.http.page.WaitingPage;
import dev.gatehouse.vertx.RequestContext;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.QueueTokens;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waiting room's pages and API under the admin prefix, and the waiting page a visitor without a
 * seat gets on the room's paths. The page is the hosted one ({@link WaitingPage}) on the browser
 * SDK, waiting through a subset of GatekeeperAPI's wire at {@code <prefix>room/queue/enqueue} and
 * {@code …/status} ({@code X-Gatehouse-Room: site}); when it is the visitor's turn it goes to {@code
 * <prefix>room/seat?to=<the page asked for>&token=<pass>}, which sets the seat cookie and sends the
 * visitor on. {@code <prefix>room/leave} frees the seat; {@code <prefix>room/nojs} is the page for
 * browsers without JavaScript, its token in a cookie of its own; {@code <prefix>wait?to=} is the
 * page for a proxy in front that shows it on a refusal (nginx's {@code error_page}).
 */
final class SiteRoomPages {

    private static final Logger LOG = LoggerFactory.getLogger(SiteRoomPages.class);
    /** A queue state that does not answer fails every request: a line every few seconds, not one per request. */
    private static final ThrottledWarning STATE_DOWN_LOG =
            new ThrottledWarning(LOG, "waiting room: the queue state did not answer; requests get 503");

    /** The cookie of a no-JavaScript visitor's queue token, scoped to the room's pages. */
    static final String WAIT_COOKIE = "gatehouse_wait";

    /** The query parameter the pass comes back to the seat endpoint in. */
    static final String TOKEN_PARAM = "token";

    /** The longest user id the page may give (as the room service's {@code user_id}). */
    static final int MAX_USER_CHARS = 256;

    /** The longest {@code to} (the page a visitor goes back to) taken. */
    static final int MAX_TO_CHARS = 2_048;

    /** How long a visitor without a seat is asked to wait before a request that is no page view is tried again. */
    private static final String RETRY_SECONDS = "10";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SiteRoom room;
    private final String prefix;
    private final String base;
    private final LivePolicy policy;
    private final WallClock clock;
    private final WaitingPage page;

    SiteRoomPages(SiteRoom room, String prefix, LivePolicy policy, WallClock clock) {
        this.room = room;
        this.prefix = prefix;
        this.base = prefix + "room/";
        this.policy = policy;
        this.clock = clock;
        this.page = new WaitingPage(prefix + "wait/assets/");
    }

    void mount(Router router) {
        page.mountAssets(router);
        router.route(base + "queue/enqueue").handler(ctx -> {
            if (apiMethod(ctx, HttpMethod.POST) && ourRoom(ctx)) {
                enqueue(ctx);
            }
        });
        router.route(base + "queue/status").handler(ctx -> {
            if (apiMethod(ctx, HttpMethod.GET) && ourRoom(ctx)) {
                status(ctx);
            }
        });
        router.route(base + "seat").handler(ctx -> {
            if (pageMethod(ctx, HttpMethod.GET)) {
                seat(ctx);
            }
        });
        router.route(base + "leave").handler(ctx -> {
            if (pageMethod(ctx, HttpMethod.GET, HttpMethod.POST)) {
                leave(ctx);
            }
        });
        router.route(base + "nojs").handler(ctx -> {
            if (pageMethod(ctx, HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST)) {
                noScript(ctx);
            }
        });
        router.route(base + "theme.css").handler(ctx -> {
            if (pageMethod(ctx, HttpMethod.GET, HttpMethod.HEAD)) {
                WaitingPage.sendTheme(ctx.response(), look());
            }
        });
        router.route(prefix + "wait").handler(ctx -> {
            if (pageMethod(ctx, HttpMethod.GET, HttpMethod.HEAD)) {
                to(ctx).ifPresent(to -> sendPage(ctx.request(), to, 200));
            }
        });
    }

    /** Whether the room stands in front of {@code rawPath}. */
    boolean covers(String rawPath) {
        return room.covers(rawPath);
    }

    /** The seat the seat cookie's value {@code cookie} holds for {@code clientKey} (see {@link SiteRoom#seat}). */
    CompletionStage<SiteRoom.Seat> seat(@Nullable String cookie, String clientKey, boolean secure) {
        return room.seat(cookie, clientKey, secure);
    }

    /** The methods each path of the room answers, for a 405's {@code Allow}. */
    Optional<String> allowedMethods(String path) {
        if (path.equals(base + "queue/enqueue")) {
            return Optional.of("POST");
        }
        if (path.equals(base + "leave")) {
            return Optional.of("GET, POST");
        }
        if (path.equals(base + "nojs")) {
            return Optional.of("GET, HEAD, POST");
        }
        if (path.startsWith(base) || path.startsWith(prefix + "wait")) {
            return Optional.of(path.equals(base + "queue/status") || path.equals(base + "seat") ? "GET" : "GET, HEAD");
        }
        return Optional.empty();
    }

    /**
     * Answers a request on the room's paths that holds no seat: a page view ({@code GET}, {@code
     * HEAD}) gets the waiting page with {@code status}, which brings the visitor back to {@code to};
     * anything else 503 with a {@code Retry-After}, in words a person reads.
     */
    void refuse(HttpServerRequest request, String to, int status) {
        if (request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD)) {
            // a page the seat endpoint would not send anyone back to (too long, //host): the site's root
            sendPage(request, localPathProblem(to) == null ? to : "/", status);
            return;
        }
        request.response()
                .putHeader(HttpHeaders.RETRY_AFTER, RETRY_SECONDS)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader("X-Content-Type-Options", "nosniff");
        ErrorStyle.sendText(
                request.response(),
                503,
                "waiting room: this site lets visitors in in turn; load the page in a browser to take a place"
                        + " in line\n");
    }

    private void sendPage(HttpServerRequest request, String to, int status) {
        PageLook look = look();
        String language = look.language("", request.getHeader(HttpHeaders.ACCEPT_LANGUAGE));
        String back = encode(to);
        String html = page.html(
                look,
                language,
                base + "theme.css",
                base + "nojs?to=" + back,
                new WaitingPage.Room(SiteRoom.ROOM, prefix + "room", base + "seat?to=" + back, TOKEN_PARAM, ""));
        page.send(request.response().setStatusCode(status), html);
    }

    /** {@code POST …/queue/enqueue}: a place in line for the page's user, within the joins per client bound. */
    private void enqueue(RoutingContext ctx) {
        String user = user(ctx);
        if (user == null) {
            return;
        }
        String clientKey = clientKey(ctx);
        if (room.lineFull()) {
            lineFull(ctx.response());
            return;
        }
        RequestContext.whenComplete(room.mayJoin(clientKey), (wait, failure) -> {
            if (failure != null || wait == null) {
                unavailable(ctx, failure);
            } else if (wait > 0) {
                tooManyJoins(ctx.response(), wait);
            } else {
                RequestContext.whenComplete(room.enqueue(user), (enqueued, failed) -> {
                    if (failed != null || enqueued == null) {
                        unavailable(ctx, failed);
                        return;
                    }
                    Standing standing = enqueued.standing();
                    ObjectNode body = JSON.createObjectNode()
                            .put("jwt", enqueued.added() ? room.issue(user, clientKey) : "")
                            .put("position", standing.isReady() ? 0 : standing.position())
                            .put(
                                    "message",
                                    enqueued.added() ? "You are in the queue." : "You are in the queue already.");
                    answer(ctx.response(), 200, body);
                });
            }
        });
    }

    /** {@code GET …/queue/status}: the token's place; a pass (its token carries the seat's end) once admitted. */
    private void status(RoutingContext ctx) {
        String clientKey = clientKey(ctx);
        checkedToken(ctx, clientKey).ifPresent(checked -> {
            String user = checked.user().orElseThrow();
            RequestContext.whenComplete(room.status(user), (standing, failure) -> {
                if (failure != null || standing == null) {
                    unavailable(ctx, failure);
                    return;
                }
                ObjectNode body = JSON.createObjectNode();
                String renewed = checked.verdict() == QueueTokens.Verdict.EXPIRED ? room.issue(user, clientKey) : "";
                switch (standing.state()) {
                    case READY ->
                        body.put("warning_msg", "")
                                .put("jwt_token", room.issuePass(user, clientKey, standing.readyUntilMillis()))
                                .putNull("position")
                                .put("ready", true)
                                .put("estimated_wait_seconds", 0);
                    case QUEUED -> {
                        body.put("warning_msg", "")
                                .put("jwt_token", renewed)
                                .put("position", standing.position())
                                .put("ready", false);
                        OptionalLong eta = room.estimatedWaitSeconds(standing.position());
                        if (eta.isPresent()) {
                            body.put("estimated_wait_seconds", eta.getAsLong());
                        } else {
                            body.putNull("estimated_wait_seconds");
                        }
                    }
                    case REGISTERED, UNKNOWN ->
                        body.put(
                                        "warning_msg",
                                        "You are not in the queue: your place ran out, or your time inside ended.")
                                .put("jwt_token", "")
                                .putNull("position")
                                .put("ready", false)
                                .putNull("estimated_wait_seconds");
                }
                answer(ctx.response(), 200, body);
            });
        });
    }

    /**
     * {@code GET …/seat?to=&token=}: a pass of an admitted user takes the seat (the cookie) and the
     * visitor goes on to {@code to}; without one, back to {@code to}, where the page waits again.
     */
    private void seat(RoutingContext ctx) {
        Optional<String> to = to(ctx);
        Optional<String> token = param(ctx, TOKEN_PARAM);
        if (to.isEmpty() || token.isEmpty()) {
            return;
        }
        QueueTokens.Checked checked = room.check(token.get(), clientKey(ctx));
        if (checked.verdict() != QueueTokens.Verdict.VALID) { // another client's, or no token: the line again
            seeOther(ctx.response(), to.get());
            return;
        }
        seatAndGo(ctx, checked.user().orElseThrow(), to.get());
    }

    /** Seats {@code user} (admitted already) for the request's client, if it is, and goes on to {@code to}. */
    private void seatAndGo(RoutingContext ctx, String user, String to) {
        HttpServerRequest request = ctx.request();
        RequestContext.whenComplete(
                room.takeSeat(user, clientKey(ctx), CookieKeys.secure(request)), (cookie, failure) -> {
                    if (failure != null || cookie == null) {
                        unavailable(ctx, failure);
                        return;
                    }
                    cookie.ifPresent(value -> ctx.response().headers().add(HttpHeaders.SET_COOKIE, value));
                    seeOther(ctx.response(), to);
                });
    }

    /**
     * {@code …/leave?to=}: a {@code POST} frees the visitor's seat, ends its cookie and goes on to
     * {@code to} (the site's root without); a {@code GET} (a link) answers a page whose button posts
     * it, so that neither a prefetch nor another site's link or redirect can end a visitor's seat
     * (the seat cookie, {@code SameSite=Lax}, rides on another site's top-level GET, never on its POST).
     */
    private void leave(RoutingContext ctx) {
        if (!queryDecodes(ctx)) {
            return;
        }
        String given = ctx.request().getParam("to");
        Optional<String> to = given == null ? Optional.of("/") : checkedTo(ctx, given);
        if (to.isEmpty()) {
            return;
        }
        HttpServerRequest request = ctx.request();
        if (!request.method().equals(HttpMethod.POST)) {
            String action = base + "leave?to=" + encode(to.get());
            WaitingPage.secured(ctx.response())
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                    .end("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                            + "<title>" + HtmlText.escape(look().title()) + "</title>\n</head>\n<body>\n<main>\n"
                            + "<form method=\"post\" action=\"" + HtmlText.escape(action) + "\">"
                            + "<button type=\"submit\">Leave and give my place to the next in line</button></form>\n"
                            + "</main>\n</body>\n</html>\n");
            return;
        }
        Cookie seat = request.getCookie(SiteRoom.SEAT_COOKIE);
        RequestContext.whenComplete(
                room.leave(seat == null ? null : seat.getValue(), clientKey(ctx)), (done, failure) -> {
                    if (failure != null) {
                        unavailable(ctx, failure);
                        return;
                    }
                    ctx.response()
                            .headers()
                            .add(HttpHeaders.SET_COOKIE, SiteRoom.endedSeatCookie(CookieKeys.secure(request)));
                    seeOther(ctx.response(), to.get());
                });
    }

    /**
     * {@code …/nojs?to=}: the page without JavaScript. A visit polls with the token its cookie holds
     * and shows the place in HTML that refreshes itself; a visitor without a place gets a join button
     * (a POST here joins, then 303 back: a reload never joins twice); once admitted, the visit takes
     * the seat and goes on to {@code to}.
     */
    private void noScript(RoutingContext ctx) {
        Optional<String> to = to(ctx);
        if (to.isEmpty()) {
            return;
        }
        HttpServerRequest request = ctx.request();
        String here = base + "nojs?to=" + encode(to.get());
        String clientKey = clientKey(ctx);
        Cookie held = request.getCookie(WAIT_COOKIE);
        QueueTokens.Checked checked = held == null
                ? new QueueTokens.Checked(QueueTokens.Verdict.INVALID, Optional.empty())
                : room.check(held.getValue(), clientKey);
        boolean join = request.method().equals(HttpMethod.POST);
        if (checked.verdict() == QueueTokens.Verdict.INVALID) {
            if (join) {
                joinWithoutScript(ctx, clientKey, here);
            } else {
                sendNoScript(ctx, here, new NoScriptPage.Place.Joining());
            }
            return;
        }
        String user = checked.user().orElseThrow();
        RequestContext.whenComplete(room.status(user), (standing, failure) -> {
            if (failure != null || standing == null) {
                unavailable(ctx, failure);
                return;
            }
            switch (standing.state()) {
                case READY -> seatAndGo(ctx, user, to.get());
                case QUEUED -> {
                    if (checked.verdict() == QueueTokens.Verdict.EXPIRED) { // the cookie keeps a live token
                        holdToken(ctx, user, clientKey);
                    }
                    if (join) { // in line already (a second click, a resubmitted form): no second place
                        seeOther(ctx.response(), here);
                        return;
                    }
                    sendNoScript(
                            ctx,
                            here,
                            new NoScriptPage.Place.Queued(
                                    standing.position(), room.estimatedWaitSeconds(standing.position())));
                }
                case REGISTERED, UNKNOWN -> {
                    if (join) {
                        joinWithoutScript(ctx, clientKey, here);
                    } else {
                        sendNoScript(ctx, here, new NoScriptPage.Place.Joining());
                    }
                }
            }
        });
    }

    /** The join button's POST: a new place for a new visitor id, its token in the page's cookie, then back. */
    private void joinWithoutScript(RoutingContext ctx, String clientKey, String here) {
        if (room.lineFull()) {
            WaitingPage.secured(ctx.response());
            lineFull(ctx.response());
            return;
        }
        RequestContext.whenComplete(room.mayJoin(clientKey), (wait, failure) -> {
            if (failure != null || wait == null) {
                unavailable(ctx, failure);
            } else if (wait > 0) {
                WaitingPage.secured(ctx.response());
                tooManyJoins(ctx.response(), wait);
            } else {
                String user = UUID.randomUUID().toString();
                RequestContext.whenComplete(room.enqueue(user), (enqueued, failed) -> {
                    if (failed != null) {
                        unavailable(ctx, failed);
                        return;
                    }
                    holdToken(ctx, user, clientKey);
                    seeOther(ctx.response(), here);
                });
            }
        });
    }

    private void sendNoScript(RoutingContext ctx, String here, NoScriptPage.Place place) {
        PageLook look = look();
        String language = look.language("", ctx.request().getHeader(HttpHeaders.ACCEPT_LANGUAGE));
        NoScriptPage html = new NoScriptPage(
                look,
                language,
                page.assets() + "page/waiting.css",
                base + "theme.css",
                here,
                clock.epochMillis() / 1000);
        WaitingPage.secured(ctx.response())
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .end(html.render(place));
    }

    /** Sets the no-JavaScript page's cookie to a new queue token of {@code user}, for the client {@code clientKey}. */
    private void holdToken(RoutingContext ctx, String user, String clientKey) {
        String token = room.issue(user, clientKey);
        ctx.response()
                .headers()
                .add(
                        HttpHeaders.SET_COOKIE,
                        WAIT_COOKIE + "=" + token + "; Path=" + base + "; Max-Age="
                                + room.config().session().toSeconds() + "; HttpOnly; SameSite=Lax"
                                + (CookieKeys.secure(ctx.request()) ? "; Secure" : ""));
    }

    private String clientKey(RoutingContext ctx) {
        return policy.current().clientKeys().keyOf(ctx.request());
    }

    private PageLook look() {
        return room.config().page();
    }

    /**
     * The page's user id ({@code user_id}, or {@code user-id}): 1 to 256 visible ASCII characters
     * (the page makes a UUID); else answers 422 naming it, and the result is null.
     */
    private static @Nullable String user(RoutingContext ctx) {
        String user = ctx.request().getHeader("user_id");
        if (user == null) {
            user = ctx.request().getHeader("user-id");
        }
        if (user == null) {
            validation(ctx.response(), "missing", "Field required", null);
            return null;
        }
        if (user.isEmpty() || user.length() > MAX_USER_CHARS || !user.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            validation(
                    ctx.response(),
                    "string_pattern_mismatch",
                    "A user id here is 1 to " + MAX_USER_CHARS + " visible ASCII characters",
                    user.length() > MAX_USER_CHARS ? user.substring(0, MAX_USER_CHARS) + "…" : user);
            return null;
        }
        return user;
    }

    /**
     * The request's queue token ({@code jwt}, or {@code Authorization: Bearer}) when it is authentic
     * and the client {@code clientKey}'s; else answers 401.
     */
    private Optional<QueueTokens.Checked> checkedToken(RoutingContext ctx, String clientKey) {
        String token = ctx.request().getHeader("jwt");
        String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (token == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = authorization.substring(7).strip();
        }
        if (token == null || token.isEmpty()) {
            ErrorStyle.DETAIL.send(ctx.response(), 401, "Missing token: send the queue token as jwt");
            return Optional.empty();
        }
        QueueTokens.Checked checked = room.check(token, clientKey);
        if (checked.verdict() == QueueTokens.Verdict.INVALID) {
            ErrorStyle.DETAIL.send(ctx.response(), 401, "Invalid token");
            return Optional.empty();
        }
        return Optional.of(checked);
    }

    /** A page to go back to ({@code ?to=}, required): a path of this site; else answers 400 naming it, and the result is empty. */
    private static Optional<String> to(RoutingContext ctx) {
        Optional<String> to = param(ctx, "to");
        return to.isEmpty() ? to : checkedTo(ctx, to.get());
    }

    /** {@code to} when it is a path of this site; else answers 400 naming why, and the result is empty. */
    private static Optional<String> checkedTo(RoutingContext ctx, String to) {
        String problem = localPathProblem(to);
        if (problem != null) {
            ErrorStyle.sendText(ctx.response(), 400, "to: " + problem + "\n");
            return Optional.empty();
        }
        return Optional.of(to);
    }

    /**
     * Why {@code to} is no page of this site to send a visitor to, or null: it must be a path ({@code
     * /…}), not one a browser reads as another host ({@code //host}, {@code /\host}), without control
     * characters, and at most {@link #MAX_TO_CHARS} long.
     */
    static @Nullable String localPathProblem(String to) {
        if (to.isEmpty() || to.length() > MAX_TO_CHARS) {
            return "expected a path of this site, 1 to " + MAX_TO_CHARS + " characters";
        }
        if (to.charAt(0) != '/' || (to.length() > 1 && (to.charAt(1) == '/' || to.charAt(1) == '\\'))) {
            return "expected a path of this site (/...), not another address";
        }
        if (to.chars().anyMatch(c -> c < 0x20 || c == 0x7F)) {
            return "a control character in the path";
        }
        return null;
    }

    /** Whether the query's escapes decode; if not, the request is answered 400 naming it. */
    private static boolean queryDecodes(RoutingContext ctx) {
        try {
            ctx.request().params();
            return true;
        } catch (IllegalArgumentException e) {
            ErrorStyle.sendText(ctx.response(), 400, "malformed query: a percent-escape that does not decode\n");
            return false;
        }
    }

    private static Optional<String> param(RoutingContext ctx, String name) {
        try {
            String value = ctx.request().getParam(name);
            if (value == null) {
                ErrorStyle.sendText(ctx.response(), 400, name + ": required\n");
                return Optional.empty();
            }
            return Optional.of(value);
        } catch (IllegalArgumentException e) {
            ErrorStyle.sendText(ctx.response(), 400, "malformed query: a percent-escape that does not decode\n");
            return Optional.empty();
        }
    }

    /** Whether {@code X-Gatehouse-Room}, when sent, names this room; else answers 404 in the room API's shape. */
    private static boolean ourRoom(RoutingContext ctx) {
        String named = ctx.request().getHeader("X-Gatehouse-Room");
        if (named != null && !named.equals(SiteRoom.ROOM)) {
            ErrorStyle.DETAIL.send(ctx.response(), 404, "Unknown room: this gateway's room is " + SiteRoom.ROOM);
            return false;
        }
        return true;
    }

    private static boolean apiMethod(RoutingContext ctx, HttpMethod allowed) {
        if (ctx.request().method().equals(allowed)) {
            return true;
        }
        ctx.response().putHeader(HttpHeaders.ALLOW, allowed.name());
        ErrorStyle.DETAIL.send(ctx.response(), 405, "Method Not Allowed");
        return false;
    }

    private static boolean pageMethod(RoutingContext ctx, HttpMethod... allowed) {
        if (List.of(allowed).contains(ctx.request().method())) {
            return true;
        }
        ctx.response()
                .putHeader(
                        HttpHeaders.ALLOW,
                        String.join(
                                ", ",
                                List.of(allowed).stream().map(HttpMethod::name).toList()));
        ErrorStyle.sendText(ctx.response(), 405, "method not allowed\n");
        return false;
    }

    private static void validation(HttpServerResponse response, String type, String message, @Nullable String input) {
        ObjectNode error = JSON.createObjectNode().put("type", type);
        error.putArray("loc").add("header").add("user_id");
        error.put("msg", message);
        if (input == null) {
            error.putNull("input");
        } else {
            error.put("input", input);
        }
        ObjectNode body = JSON.createObjectNode();
        body.putArray("detail").add(error);
        answer(response, 422, body);
    }

    private static void lineFull(HttpServerResponse response) {
        response.putHeader(HttpHeaders.RETRY_AFTER, "30");
        ErrorStyle.DETAIL.send(response, 503, "The line is full: try again in a while");
    }

    private static void tooManyJoins(HttpServerResponse response, long waitNanos) {
        if (waitNanos != Decision.NEVER) {
            response.putHeader(
                    HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, RateLimitFields.ceilSeconds(waitNanos))));
        }
        ErrorStyle.DETAIL.send(response, 429, "Too many joins from this client: try again later");
    }

    private static void unavailable(RoutingContext ctx, @Nullable Throwable failure) {
        STATE_DOWN_LOG.warn(ctx.request().method() + " " + ctx.request().path(), failure);
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
            ErrorStyle.DETAIL.send(ctx.response(), 503, "The waiting room is unavailable: try again shortly");
        }
    }

    private static void answer(HttpServerResponse response, int status, ObjectNode body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.toString());
    }

    private static void seeOther(HttpServerResponse response, String location) {
        response.setStatusCode(303)
                .putHeader(HttpHeaders.LOCATION, asciiLocation(location))
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end();
    }

    /**
     * {@code location} (a path of this site, checked) with every character beyond ASCII
     * percent-escaped as UTF-8: a header carries bytes, and a character sent as it is would arrive
     * as another (or as {@code ?}, ending the path where the visitor did not ask).
     */
    static String asciiLocation(String location) {
        StringBuilder ascii = new StringBuilder(location.length());
        for (int i = 0; i < location.length(); ) {
            int c = location.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x80) {
                ascii.append((char) c);
            } else {
                for (byte b : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
                    ascii.append('%').append(String.format("%02X", b & 0xFF));
                }
            }
        }
        return ascii.toString();
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
