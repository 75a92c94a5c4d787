package dev.gatehouse.http.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.http.HtmlText;
import dev.gatehouse.http.WebAssets;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The hosted waiting page, {@code clients/js/page/waiting.html} filled in for one room: it waits in
 * the room with the browser SDK, its files served from the jar under a digest of their contents (so
 * a browser caching them for long never mixes the modules of two versions), under a strict content
 * security policy.
 */
public final class WaitingPage {

    /** The page's own files, as {@code clients/js/page} holds them. */
    public static final List<String> PAGE_FILES = List.of("waiting.js", "waiting-model.js", "waiting.css");

    /** What the page may load and do: its own scripts and styles, images over https (a logo), calls to this server. */
    public static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' https: data:; connect-src 'self'; worker-src 'self'; base-uri 'none';"
            + " form-action 'self'; frame-ancestors 'none'";

    /** The page's English {@code noscript} text, as {@code clients/js/page/waiting-model.js} has it. */
    public static final String NOSCRIPT_TEXT =
            "This page needs JavaScript to hold your place. Go on to the waiting page that works without it.";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIGEST = assetsDigest();
    private static final String TEMPLATE = new String(WebAssets.page("waiting.html"), StandardCharsets.UTF_8);

    private final String assets;

    /** The page with its files under {@code assetsBase} ({@code /wait/assets/}), in a folder named by their digest. */
    public WaitingPage(String assetsBase) {
        this.assets = assetsBase + DIGEST + "/";
    }

    /** Where the page's files are served: {@code <assetsBase><digest>/}, then {@code src/} and {@code page/}. */
    public String assets() {
        return assets;
    }

    /** Serves the SDK's and the page's files under {@link #assets()}. */
    public void mountAssets(Router router) {
        for (String file : WebAssets.SDK) {
            WebAssets.serveVersioned(router, assets + "src/" + file, file, WebAssets.sdk(file));
        }
        for (String file : PAGE_FILES) {
            WebAssets.serveVersioned(router, assets + "page/" + file, file, Buffer.buffer(WebAssets.page(file)));
        }
    }

    /**
     * What the page's script reads: the room it waits in, where the room's API answers ({@code api},
     * a path of this origin), where the visitor goes with the token once it is their turn ({@code
     * returnUrl}, absolute or a path of this origin; null: the page shows the token) in the query
     * parameter {@code tokenParam}, and the user id the business gave ("" for one the page makes).
     */
    public record Room(String room, String api, @Nullable String returnUrl, String tokenParam, String user) {}

    /**
     * The page of {@code room} in {@code look} and {@code language}, its colours at {@code theme},
     * its no-JavaScript twin at {@code noscriptUrl}.
     */
    public String html(PageLook look, String language, String theme, String noscriptUrl, Room room) {
        return TEMPLATE.replace("{{lang}}", HtmlText.escape(language))
                .replace("{{title}}", HtmlText.escape(look.title()))
                .replace("{{assets}}", HtmlText.escape(assets))
                .replace("{{theme}}", HtmlText.escape(theme))
                .replace("{{noscript_url}}", HtmlText.escape(noscriptUrl))
                .replace(
                        "{{noscript_text}}",
                        HtmlText.escape(look.text(language, "noscript").orElse(NOSCRIPT_TEXT)))
                .replace("{{config}}", config(look, room));
    }

    /** Answers the page {@link #html} makes, with the page's headers, never cached. */
    public void send(HttpServerResponse response, String html) {
        secured(response)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(html);
    }

    /** Answers {@code look}'s colours as the page's theme stylesheet. */
    public static void sendTheme(HttpServerResponse response, PageLook look) {
        response.putHeader(HttpHeaders.CONTENT_TYPE, "text/css; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(look.themeCss());
    }

    /** The headers every page answer carries: the policy, no sniffing, no referrer. */
    public static HttpServerResponse secured(HttpServerResponse response) {
        return response.putHeader("Content-Security-Policy", POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer");
    }

    /** The page's config, as JSON that cannot end its {@code <script type="application/json">} block. */
    private static String config(PageLook look, Room room) {
        ObjectNode config = JSON.createObjectNode()
                .put("room", room.room())
                .put("api", room.api())
                .put("title", look.title())
                .put("logo_url", look.logoUrl())
                .put("return_url", room.returnUrl())
                .put("token_param", room.tokenParam())
                .put("default_language", look.defaultLanguage());
        ObjectNode languages = config.putObject("languages");
        look.languages().forEach((language, texts) -> {
            ObjectNode node = languages.putObject(language);
            texts.forEach(node::put);
        });
        if (room.user().isEmpty()) {
            config.putNull("user");
        } else {
            config.put("user", room.user());
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

    private static String assetsDigest() {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (String file : WebAssets.SDK) {
                sha256.update(WebAssets.sdk(file).getBytes());
            }
            for (String file : PAGE_FILES) {
                sha256.update(WebAssets.page(file));
            }
            return HexFormat.of().formatHex(sha256.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
