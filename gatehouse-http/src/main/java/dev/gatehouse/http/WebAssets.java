package dev.gatehouse.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Files served to browsers from the jar: the browser SDK of {@code clients/js} and its pages
 * (packaged here at build time from {@code clients/js/src} and {@code clients/js/page}, so that the
 * pages of every surface run the one tested copy), and a surface's own.
 */
public final class WebAssets {

    private static final CharSequence SCRIPT_TYPE = HttpHeaders.createOptimized("text/javascript; charset=utf-8");
    private static final CharSequence STYLE_TYPE = HttpHeaders.createOptimized("text/css; charset=utf-8");

    /** The SDK's modules, as {@code clients/js/src} holds them. */
    public static final List<String> SDK = List.of(
            "gatehouse.js", "room.js", "gateway.js", "polling.js", "http.js", "work.js", "pow.js", "pow-worker.js");

    private WebAssets() {}

    /** The SDK's module {@code name} ({@code pow.js}, {@code pow-worker.js}, …) as packaged. */
    public static Buffer sdk(String name) {
        return Buffer.buffer(read(WebAssets.class, "web/src/" + name));
    }

    /** The page file {@code name} of {@code clients/js/page} as packaged. */
    public static byte[] page(String name) {
        return read(WebAssets.class, "web/page/" + name);
    }

    /** The resource {@code name} next to {@code owner}; fails when the jar lacks it (a build fault). */
    public static byte[] read(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar of " + owner.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves {@code script} at {@code path} for {@code GET}, cacheable for an hour. */
    public static void serveScript(Router router, String path, Buffer script) {
        serve(router, path, SCRIPT_TYPE, script);
    }

    /**
     * Serves the script ({@code .js}) or stylesheet ({@code .css}) {@code file} at {@code path}, a
     * path that names its version: cacheable for a year.
     */
    public static void serveVersioned(Router router, String path, String file, Buffer body) {
        if (!file.endsWith(".js") && !file.endsWith(".css")) {
            throw new IllegalArgumentException("file: " + file + " (expected: a .js or .css file)");
        }
        serve(
                router,
                path,
                file.endsWith(".css") ? STYLE_TYPE : SCRIPT_TYPE,
                body,
                "public, max-age=31536000, immutable");
    }

    private static void serve(Router router, String path, CharSequence type, Buffer body) {
        serve(router, path, type, body, "public, max-age=3600");
    }

    private static void serve(Router router, String path, CharSequence type, Buffer body, String caching) {
        router.route(path)
                .method(HttpMethod.GET)
                .method(HttpMethod.HEAD)
                .handler(ctx -> ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, type)
                        .putHeader(HttpHeaders.CACHE_CONTROL, caching)
                        .putHeader("X-Content-Type-Options", "nosniff")
                        .end(body));
    }
}
