package dev.gatehouse.server.room;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.HtmlText;
import dev.gatehouse.http.page.NoScriptPage;
import dev.gatehouse.http.page.PageLook;
import dev.gatehouse.http.page.WaitingPage;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The hosted waiting page of every room, served from the jar: {@code GET /wait/{room}} (the page,
 * the browser SDK's {@code clients/js/page/waiting.html} filled in for the room), {@code
 * /wait/{room}/theme.css} (the room's colours), and the page's and SDK's files under {@code
 * /wait/assets/}. A room is named by its tenant id, which names no key: the page calls the room's
 * API with it ({@code X-Gatehouse-Room}).
 */
final class RoomPages {

    static final String BASE = "/wait/";

    /** The waiting page, its files under {@code /wait/assets/<digest>/}. */
    static final WaitingPage PAGE = new WaitingPage(BASE + "assets/");

    /** The cookie holding a no-JavaScript visitor's queue token, scoped to its room's pages. */
    static final String COOKIE = "gatehouse_wait";

    private final PageLooks looks;
    private final Predicate<String> rooms;
    private final RoomApi api;
    private final WallClock clock;

    /**
     * The pages of the rooms {@code rooms} accepts (the live tenants' ids), looking as {@code looks}
     * says; the no-JavaScript page queues through {@code api}.
     */
    RoomPages(PageLooks looks, Predicate<String> rooms, RoomApi api, WallClock clock) {
        this.looks = looks;
        this.rooms = rooms;
        this.api = api;
        this.clock = clock;
    }

    void mount(Router router) {
        PAGE.mountAssets(router);
        router.route(BASE + ":room")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(this::page);
        router.route(BASE + ":room/theme.css")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(this::theme);
        router.route(BASE + ":room/nojs")
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(ctx -> noScript(ctx, false));
        router.post(BASE + ":room/nojs").handler(ctx -> noScript(ctx, true));
    }

    /**
     * The page for a browser without JavaScript: the visitor's token rides in a cookie of the room's
     * pages; each visit polls (a visitor without a place gets a join button, which POSTs: {@code join},
     * enqueueing {@code ?user=} or a new id, then 303 back), answers the
     * place in HTML that refreshes itself, and once ready sends the browser on to the room's
     * {@code return_url} with the token, as the JavaScript page does.
     */
    private void noScript(RoutingContext ctx, boolean join) {
        String room = ctx.pathParam("room");
        if (room == null || !rooms.test(room)) {
            ErrorStyle.DETAIL.send(ctx.response(), 404, "Not Found");
            return;
        }
        String asked = ctx.request().getParam("user", "");
        if (!validUser(ctx, asked)) {
            return;
        }
        Cookie held = ctx.request().getCookie(COOKIE);
        // the id the JavaScript page's user_id header gives the room: its UTF-8 bytes, one character each
        String askedUser = asked.isEmpty()
                ? null
                : new String(asked.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        PageLook look = looks.of(room);
        String language =
                look.language(ctx.request().getParam("lang", ""), ctx.request().getHeader("Accept-Language"));
        api.visit(
                ctx,
                room,
                held == null ? null : held.getValue(),
                askedUser,
                UUID.randomUUID().toString(),
                join,
                (response, status, message) -> refused(response, status, message, look, language),
                visit -> {
                    HttpServerResponse response =
                            WaitingPage.secured(ctx.response()).putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
                    if (!visit.token().isEmpty()) {
                        response.addCookie(Cookie.cookie(COOKIE, visit.token())
                                .setPath(BASE + room + "/")
                                .setHttpOnly(true)
                                .setSameSite(CookieSameSite.LAX)
                                .setSecure(ctx.request().isSSL()
                                        || "https"
                                                .equalsIgnoreCase(ctx.request().getHeader("X-Forwarded-Proto"))));
                    }
                    String here = BASE + room + "/nojs" + (asked.isEmpty() ? "" : "?user=" + encode(asked));
                    if (join && !visit.token().isEmpty()) { // post, then redirect: a reload never joins twice
                        response.setStatusCode(303)
                                .putHeader(HttpHeaders.LOCATION, here)
                                .end();
                        return;
                    }
                    String returnUrl = look.returnUrl();
                    if (visit.standing().isReady()
                            && returnUrl != null
                            && !visit.token().isEmpty()) {
                        response.setStatusCode(303)
                                .putHeader(HttpHeaders.LOCATION, withToken(returnUrl, look.tokenParam(), visit.token()))
                                .end();
                        return;
                    }
                    NoScriptPage page = new NoScriptPage(
                            look,
                            language,
                            PAGE.assets() + "page/waiting.css",
                            BASE + room + "/theme.css",
                            here,
                            clock.epochMillis() / 1000);
                    response.putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                            .end(page.render(place(visit, look, api.drawTicket(room, visit.user()))));
                });
    }

    /** Where {@code visit} stands, as the page without JavaScript shows it. */
    private static NoScriptPage.Place place(RoomApi.Visit visit, PageLook look, String ticket) {
        if (visit.joining()) {
            return new NoScriptPage.Place.Joining();
        }
        if (visit.token().isEmpty()) {
            return new NoScriptPage.Place.WaitingElsewhere();
        }
        return switch (visit.standing().state()) {
            case QUEUED -> new NoScriptPage.Place.Queued(visit.standing().position(), visit.etaSeconds());
            case REGISTERED -> new NoScriptPage.Place.Registered(visit.config().opensAt(), ticket);
            case READY -> new NoScriptPage.Place.Ready(visit.token(), look.returnUrl() != null);
            case UNKNOWN -> new NoScriptPage.Place.Joining(); // a visit without a place is a joining one
        };
    }

    /**
     * Whether {@code user} (from {@code ?user=}; empty: none) can be a user id: at most 256 bytes in
     * UTF-8 (what a {@code user_id} header may carry), no control characters, no space at either end.
     * If not, answers 422 naming it.
     */
    private static boolean validUser(RoutingContext ctx, String user) {
        int bytes = user.getBytes(StandardCharsets.UTF_8).length; // a user_id header's bound: its bytes
        if (bytes > RoomApi.MAX_USER_ID_CHARS) {
            new Validation()
                    .add(
                            "string_too_long",
                            List.of("query", "user"),
                            "String should have at most " + RoomApi.MAX_USER_ID_CHARS + " bytes in UTF-8",
                            new com.fasterxml.jackson.databind.node.TextNode(user),
                            null)
                    .send(ctx.response());
            return false;
        }
        boolean control = user.chars().anyMatch(Character::isISOControl);
        if (control || !user.strip().equals(user)) {
            new Validation()
                    .add(
                            "string_pattern_mismatch",
                            List.of("query", "user"),
                            "A user id has no control characters and no space at either end",
                            new com.fasterxml.jackson.databind.node.TextNode(user),
                            null)
                    .send(ctx.response());
            return false;
        }
        return true;
    }

    /**
     * A refusal (the per-IP limit's 429, an unavailable store's 503) as a page for a browser without
     * JavaScript: the message, and a refresh once its {@code Retry-After} has passed, so the visitor
     * goes on by itself instead of landing on JSON.
     */
    private static void refused(
            HttpServerResponse response, int status, String message, PageLook look, String language) {
        if (response.ended() || response.closed()) {
            return;
        }
        String retry = response.headers().get(HttpHeaders.RETRY_AFTER);
        long seconds = retry != null && retry.matches("\\d{1,6}") ? Math.max(1, Long.parseLong(retry)) : 5;
        String title = HtmlText.escape(look.title());
        WaitingPage.secured(response)
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end("<!DOCTYPE html>\n<html lang=\"" + HtmlText.escape(language)
                        + "\">\n<head>\n<meta charset=\"utf-8\">\n"
                        + "<meta http-equiv=\"refresh\" content=\"" + seconds + "\">\n<title>" + title
                        + "</title>\n</head>\n<body>\n<main>\n<h1>" + title + "</h1>\n<p>" + HtmlText.escape(message)
                        + "</p>\n</main>\n</body>\n</html>\n");
    }

    /** {@code url} with {@code param=token} added to its query, its fragment kept. */
    static String withToken(String url, String param, String token) {
        int hash = url.indexOf('#');
        String base = hash < 0 ? url : url.substring(0, hash);
        String fragment = hash < 0 ? "" : url.substring(hash);
        String separator = base.contains("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
        return base + separator + encode(param) + "=" + encode(token) + fragment;
    }

    private void page(RoutingContext ctx) {
        String room = ctx.pathParam("room");
        if (room == null || !rooms.test(room)) {
            ErrorStyle.DETAIL.send(ctx.response(), 404, "Not Found");
            return;
        }
        String user = ctx.request().getParam("user", "");
        if (!validUser(ctx, user)) {
            return;
        }
        PageLook look = looks.of(room);
        String language =
                look.language(ctx.request().getParam("lang", ""), ctx.request().getHeader("Accept-Language"));
        String noscriptUrl = BASE + room + "/nojs" + (user.isEmpty() ? "" : "?user=" + encode(user));
        PAGE.send(
                ctx.response(),
                PAGE.html(
                        look,
                        language,
                        BASE + room + "/theme.css",
                        noscriptUrl,
                        new WaitingPage.Room(room, "", look.returnUrl(), look.tokenParam(), user)));
    }

    private void theme(RoutingContext ctx) {
        String room = ctx.pathParam("room");
        if (room == null || !rooms.test(room)) {
            ErrorStyle.DETAIL.send(ctx.response(), 404, "Not Found");
            return;
        }
        WaitingPage.sendTheme(ctx.response(), looks.of(room));
    }

    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
