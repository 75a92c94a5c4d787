package dev.gatehouse.server.docs;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * One file of the API documentation, read from the classpath the first time it is asked for and
 * answered from memory after that: with its content type, an {@code ETag} (304 for a matching
 * {@code If-None-Match}), {@code Cache-Control: no-cache}, and gzip when the client accepts it.
 */
final class DocsFile {

    /*
     * Files are read lazily, off the event loop, because the two UI bundles are 2.5 MB together and
     * most servers never show their documentation: the heap holds them only once someone asked.
     * no-cache (revalidate every time, 304 when unchanged) instead of a long max-age means a browser
     * never runs an old bundle against a new page after an upgrade; it costs one small request per
     * file and page view, which is nothing for a documentation page.
     */

    /** Smaller bodies are sent as they are: gzip would save a few bytes at best. */
    private static final int MIN_GZIP_BYTES = 1024;

    private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");
    private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
    private static final CharSequence GZIP = HttpHeaders.createOptimized("gzip");
    private static final CharSequence X_CONTENT_TYPE_OPTIONS = HttpHeaders.createOptimized("X-Content-Type-Options");

    private final String resource;
    private final String contentType;
    private final Map<String, String> headers;
    private final AtomicReference<@Nullable CompletableFuture<Content>> content = new AtomicReference<>();

    /**
     * The file at classpath {@code resource}, answered with {@code contentType} and the extra {@code
     * headers} (a page's {@code Content-Security-Policy}, say); throws {@link IllegalStateException}
     * when the classpath has no such file, so a build that left one out cannot start.
     */
    DocsFile(String resource, String contentType, Map<String, String> headers) {
        if (DocsFile.class.getClassLoader().getResource(resource) == null) {
            throw new IllegalStateException("API documentation file missing from the classpath: " + resource);
        }
        this.resource = resource;
        this.contentType = contentType;
        this.headers = Map.copyOf(headers);
    }

    /** A file whose bytes are given rather than read (the OpenAPI document, converted from YAML). */
    static DocsFile of(byte[] bytes, String contentType, Map<String, String> headers) {
        return new DocsFile(Content.of(bytes), contentType, headers);
    }

    private DocsFile(Content content, String contentType, Map<String, String> headers) {
        this.resource = "(in memory)";
        this.contentType = contentType;
        this.headers = Map.copyOf(headers);
        this.content.set(CompletableFuture.completedFuture(content));
    }

    /** Answers the request of {@code ctx} with this file; a file that cannot be read fails the context (500). */
    void handle(RoutingContext ctx) {
        CompletableFuture<Content> loaded = load(ctx.vertx());
        Content ready = loaded.getNow(null);
        if (ready != null) {
            answer(ctx.request(), ready);
            return;
        }
        Context context = requireNonNull(Vertx.currentContext(), "not on a Vert.x context"); // routed on one
        loaded.whenComplete((done, error) -> context.runOnContext(v -> {
            if (error != null) {
                ctx.fail(error);
            } else {
                answer(ctx.request(), done);
            }
        }));
    }

    private CompletableFuture<Content> load(Vertx vertx) {
        CompletableFuture<Content> current = content.get();
        if (current != null) {
            return current;
        }
        CompletableFuture<Content> mine = new CompletableFuture<>();
        if (!content.compareAndSet(null, mine)) {
            return requireNonNull(content.get()); // set once, never cleared but by the failure below
        }
        vertx.executeBlocking(this::read, false).onComplete(result -> {
            if (result.succeeded()) {
                mine.complete(result.result());
            } else {
                content.compareAndSet(mine, null); // a later request tries again
                mine.completeExceptionally(result.cause());
            }
        });
        return mine;
    }

    private Content read() {
        try (InputStream in = DocsFile.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("API documentation file missing from the classpath: " + resource);
            }
            return Content.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private void answer(HttpServerRequest request, Content file) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        boolean gzip = file.gzipped() != null && acceptsGzip(request.getHeader(HttpHeaders.ACCEPT_ENCODING));
        String etag = gzip ? file.gzipEtag() : file.etag();
        response.putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE)
                .putHeader(HttpHeaders.ETAG, etag)
                .putHeader(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        if (file.gzipped() != null) {
            response.putHeader(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING);
        }
        headers.forEach(response::putHeader);
        if (matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
            response.setStatusCode(304).end();
            return;
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, contentType);
        if (gzip) {
            response.putHeader(HttpHeaders.CONTENT_ENCODING, GZIP).end(requireNonNull(file.gzipped()));
        } else {
            response.end(file.plain());
        }
    }

    /**
     * Whether {@code ifNoneMatch} names {@code etag} (or is {@code *}); weak and strong tags compare
     * alike, as RFC 9110 asks for {@code If-None-Match}.
     */
    static boolean matches(@Nullable String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",", -1)) {
            String tag = candidate.strip();
            if (tag.equals("*")) {
                return true;
            }
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code acceptEncoding} accepts gzip: {@code gzip} or {@code *} with a q-value above 0. */
    static boolean acceptsGzip(@Nullable String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        boolean gzip = false;
        boolean refused = false;
        for (String element : acceptEncoding.split(",", -1)) {
            String[] parts = element.split(";", -1);
            String coding = parts[0].strip().toLowerCase(Locale.ROOT);
            boolean accepted = true;
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].strip().toLowerCase(Locale.ROOT);
                if (parameter.startsWith("q=")) {
                    accepted = !isZero(parameter.substring(2).strip());
                }
            }
            if (coding.equals("gzip") || coding.equals("x-gzip")) {
                if (accepted) {
                    gzip = true;
                } else {
                    refused = true;
                }
            } else if (coding.equals("*") && accepted) {
                gzip = true;
            }
        }
        return gzip && !refused;
    }

    /** Whether a q-value is 0 ({@code 0}, {@code 0.}, {@code 0.000}); anything unreadable counts as not 0. */
    private static boolean isZero(String qvalue) {
        return qvalue.matches("0(\\.0{0,3})?");
    }

    /** A file's bytes, its gzip form when that is worth sending, and the tag of each. */
    private record Content(Buffer plain, @Nullable Buffer gzipped, String etag, String gzipEtag) {

        static Content of(byte[] bytes) {
            String hash = sha256Prefix(bytes);
            Buffer gzipped = bytes.length >= MIN_GZIP_BYTES ? Buffer.buffer(gzip(bytes)) : null;
            return new Content(Buffer.buffer(bytes), gzipped, "\"" + hash + "\"", "\"" + hash + "-gzip\"");
        }

        private static byte[] gzip(byte[] bytes) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3);
            try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
                zip.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // in memory: does not happen
            }
            return out.toByteArray();
        }

        private static String sha256Prefix(byte[] bytes) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
                return HexFormat.of().formatHex(digest, 0, 16);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
    }
}
