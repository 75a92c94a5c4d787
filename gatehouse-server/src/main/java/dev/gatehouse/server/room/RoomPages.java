package dev.gatehouse.server.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.HtmlText;
import dev.gatehouse.http.WebAssets;
import dev.gatehouse.server.room.PageLooks.Look;
import io.vertx.core.buffer.Buffer;
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
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The hosted waiting page of every room, served from the jar: {@code GET /wait/{room}} (the page,
 * the browser SDK's {@code clients/js/page/waiting.html} filled in for the room), {@code
 * /wait/{room}/theme.css} (the room's colours), and the page's and SDK's files under {@code
 * /wait/assets/}. A room is named by its tenant id, which names no key: the page calls the room's
 * API with it ({@code X-Gatehouse-Room}).
 */
final class RoomPages {

    static final String BASE = "/wait/";

    /** The page's own files, as {@code clients/js/page} holds them. */
    static final List<String> PAGE_FILES = List.of("waiting.js", "waiting-model.js", "waiting.css");

    /**
     * Where the page's and the SDK's files are served: under a digest of their contents, so that a
     * browser caching them for a long time never mixes the modules of two versions.
     */
    static final String ASSETS = BASE + "assets/" + assetsDigest() + "/";

    /** What the page may load and do: its own scripts and styles, images over https (a logo), calls to this server. */
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:;"
            + " connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /** The page's English {@code noscript} text, as {@code clients/js/page/waiting-model.js} has it. */
    static final String NOSCRIPT_TEXT =
            "This page needs JavaScript to hold your place. Go on to the waiting page that works without it.";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COMMA = Pattern.compile(",");
    private static final Pattern SEMICOLON = Pattern.compile(";");
    private static final Pattern HYPHEN = Pattern.compile("-");

    /** The cookie holding a no-JavaScript visitor's queue token, scoped to its room's pages. */
    static final String COOKIE = "gatehouse_wait";

    private final PageLooks looks;
    private final Predicate<String> rooms;
    private final RoomApi api;
    private final WallClock clock;
    private final String template;

    /**
     * The pages of the rooms {@code rooms} accepts (the live tenants' ids), looking as {@code looks}
     * says; the no-JavaScript page queues through {@code api}.
     */
    RoomPages(PageLooks looks, Predicate<String> rooms, RoomApi api, WallClock clock) {
        this.looks = looks;
        this.rooms = rooms;
        this.api = api;
        this.clock = clock;
        this.template = new String(WebAssets.page("waiting.html"), StandardCharsets.UTF_8);
    }

    void mount(Router router) {
        for (String file : WebAssets.SDK) {
            WebAssets.serveVersioned(router, ASSETS + "src/" + file, file, WebAssets.sdk(file));
        }
        for (String file : PAGE_FILES) {
            WebAssets.serveVersioned(router, ASSETS + "page/" + file, file, Buffer.buffer(WebAssets.page(file)));
        }
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
        Look look = looks.of(room);
        String language =
                language(look, ctx.request().getParam("lang", ""), ctx.request().getHeader("Accept-Language"));
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
                            secured(ctx.response()).putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
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
                            ASSETS + "page/waiting.css",
                            BASE + room + "/theme.css",
                            here,
                            clock.epochMillis() / 1000);
                    response.putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                            .end(page.render(visit, api.drawTicket(room, visit.user())));
                });
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
    private static void refused(HttpServerResponse response, int status, String message, Look look, String language) {
        if (response.ended() || response.closed()) {
            return;
        }
        String retry = response.headers().get(HttpHeaders.RETRY_AFTER);
        long seconds = retry != null && retry.matches("\\d{1,6}") ? Math.max(1, Long.parseLong(retry)) : 5;
        String title = HtmlText.escape(look.title());
        secured(response)
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
        Look look = looks.of(room);
        String language =
                language(look, ctx.request().getParam("lang", ""), ctx.request().getHeader("Accept-Language"));
        String noscriptUrl = BASE + room + "/nojs" + (user.isEmpty() ? "" : "?user=" + encode(user));
        String html = template.replace("{{lang}}", HtmlText.escape(language))
                .replace("{{title}}", HtmlText.escape(look.title()))
                .replace("{{assets}}", HtmlText.escape(ASSETS))
                .replace("{{theme}}", HtmlText.escape(BASE + room + "/theme.css"))
                .replace("{{noscript_url}}", HtmlText.escape(noscriptUrl))
                .replace(
                        "{{noscript_text}}",
                        HtmlText.escape(look.text(language, "noscript").orElse(NOSCRIPT_TEXT)))
                .replace("{{config}}", config(room, look, user));
        secured(ctx.response())
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(html);
    }

    private void theme(RoutingContext ctx) {
        String room = ctx.pathParam("room");
        if (room == null || !rooms.test(room)) {
            ErrorStyle.DETAIL.send(ctx.response(), 404, "Not Found");
            return;
        }
        StringBuilder css = new StringBuilder(":root {\n");
        Map<String, String> colors = looks.of(room).colors();
        for (String name : PageLooks.COLORS) { // in one order, whatever the file's
            String color = colors.get(name);
            if (color != null) {
                css.append("  --gh-")
                        .append(name.replace('_', '-'))
                        .append(": ")
                        .append(color)
                        .append(";\n");
            }
        }
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/css; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(css.append("}\n").toString());
    }

    /** The page's config, as JSON that cannot end its {@code <script type="application/json">} block. */
    private static String config(String room, Look look, String user) {
        ObjectNode config = JSON.createObjectNode()
                .put("room", room)
                .put("api", "")
                .put("title", look.title())
                .put("logo_url", look.logoUrl())
                .put("return_url", look.returnUrl())
                .put("token_param", look.tokenParam())
                .put("default_language", look.defaultLanguage());
        ObjectNode languages = config.putObject("languages");
        look.languages().forEach((language, texts) -> {
            ObjectNode node = languages.putObject(language);
            texts.forEach(node::put);
        });
        if (user.isEmpty()) {
            config.putNull("user");
        } else {
            config.put("user", user);
        }
        try {
            return JSON.writeValueAsString(config)
                    .replace("<", "\\u003c")
                    .replace(">", "\\u003e")
                    .replace("&", "\\u0026")
                    .replace("\u2028", "\\u2028")
                    .replace("\u2029", "\\u2029");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of texts always writes", e);
        }
    }

    /**
     * The page's language: {@code asked} ({@code ?lang=}) when the look speaks it or it is English,
     * else the first of {@code Accept-Language} that does, else the look's default.
     */
    static String language(Look look, String asked, @Nullable String acceptLanguage) {
        String wanted = spoken(look, asked);
        if (wanted != null) {
            return wanted;
        }
        if (acceptLanguage != null && acceptLanguage.length() <= 1_000) {
            for (String range : COMMA.split(acceptLanguage, -1)) {
                String tag = SEMICOLON.split(range, 2)[0].trim();
                String spoken = spoken(look, tag);
                if (spoken != null) {
                    return spoken;
                }
            }
        }
        return look.defaultLanguage();
    }

    private static @Nullable String spoken(Look look, String tag) {
        String lower = tag.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.length() > 20) {
            return null;
        }
        String primary = HYPHEN.split(lower, 2)[0];
        for (String candidate : List.of(lower, primary)) {
            if (look.languages().containsKey(candidate)
                    || candidate.equals("en")
                    || candidate.equals(look.defaultLanguage())) {
                return candidate;
            }
        }
        return null;
    }

    private static String assetsDigest() {
        try {
            java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
            for (String file : WebAssets.SDK) {
                sha256.update(WebAssets.sdk(file).getBytes());
            }
            for (String file : PAGE_FILES) {
                sha256.update(WebAssets.page(file));
            }
            return java.util.HexFormat.of().formatHex(sha256.digest(), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** The headers every page answer carries. */
    static HttpServerResponse secured(HttpServerResponse response) {
        return response.putHeader("Content-Security-Policy", POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer");
    }

    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
