package dev.gatehouse.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Scripts served to browsers from the jar: the browser SDK of {@code clients/js} (packaged here at
 * build time, so that the pages of every surface run the one tested copy), and a surface's own.
 */
public final class WebAssets {

    private static final CharSequence SCRIPT_TYPE = HttpHeaders.createOptimized("text/javascript; charset=utf-8");

    private WebAssets() {}

    /** The SDK's module {@code name} ({@code pow.js}, {@code pow-worker.js}, …) as packaged. */
    public static Buffer sdk(String name) {
        return Buffer.buffer(read(WebAssets.class, "web/" + name));
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
        router.get(path)
                .handler(ctx -> ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, SCRIPT_TYPE)
                        .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=3600")
                        .putHeader("X-Content-Type-Options", "nosniff")
                        .end(script));
    }
}
