package dev.gatehouse.http;

import dev.gatehouse.http.config.ServerConfig;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every HTTP surface of the server shares: listener options that bound what a client may send,
 * and a router that answers errors in plain text (never a stack trace), rejects oversized bodies
 * and writes the access log.
 */
public final class HttpSurface {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSurface.class);

    /** The content type of plain-text answers, as gocc (echo) writes it; made once (Vert.x checks a String per set). */
    public static final CharSequence PLAIN_TEXT = HttpHeaders.createOptimized("text/plain; charset=UTF-8");

    private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");

    private HttpSurface() {}

    /** Listener options for {@code host:port}: HTTP/1.1 and h2c on one port, with the configured bounds. */
    public static HttpServerOptions options(String host, int port, ServerConfig.Http http) {
        return new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setMaxHeaderSize(http.maxHeaderBytes())
                .setMaxInitialLineLength(http.maxInitialLineBytes())
                .setMaxFormAttributeSize(http.maxBodyBytes())
                .setHttp2ClearTextEnabled(true)
                .setInitialSettings(new Http2Settings()
                        .setMaxConcurrentStreams(http.maxConcurrentStreams())
                        .setMaxHeaderListSize(http.maxHeaderBytes()));
    }

    /**
     * Answers a request whose head the HTTP/1 codec or the connection guard refused: 414 (request
     * line too long), 431 (headers too large) or 400 naming the problem, then the connection is
     * closed; {@code accessLog}, if given, gets its line as for any 4xx.
     */
    public static Handler<HttpServerRequest> invalidRequestHandler(Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.filter(AccessLog::enabled).orElse(null);
        return request -> {
            long startNanos = System.nanoTime();
            Throwable cause = request.decoderResult().cause();
            HttpServerResponse response = request.response().putHeader(HttpHeaders.CONNECTION, "close");
            int status;
            if (cause instanceof TooLongHttpLineException) {
                status = 414;
                response.setStatusCode(status).end();
            } else if (cause instanceof TooLongHttpHeaderException) {
                status = 431;
                response.setStatusCode(status).end();
            } else {
                status = 400;
                plain(
                        response,
                        status,
                        "bad request: " + (cause == null ? "malformed" : shorten(cause.getMessage(), 120)));
            }
            if (log != null) {
                log.record(request, status, startNanos);
            }
        };
    }

    /**
     * A router with the shared handlers installed; the surface adds its routes after. Unknown paths,
     * methods and unexpected failures are answered as gocc's echo answers them ({@code
     * {"message":"Not Found"}} and so on, never a stack trace); a 405 names the path's methods from
     * {@code allowedMethods} in {@code Allow}.
     */
    public static Router router(
            Vertx vertx,
            ServerConfig.Http http,
            Optional<AccessLog> accessLog,
            Function<String, String> allowedMethods) {
        Router router = Router.router(vertx);
        accessLog.filter(AccessLog::enabled).ifPresent(log -> router.route().handler(log));
        router.route().handler(ctx -> rejectLargeBody(ctx, http.maxBodyBytes()));
        // a path vert.x-web cannot decode: its own answer, without its ERROR log line and stack trace
        router.errorHandler(400, ctx -> badRequest(ctx.response()));
        router.errorHandler(404, ctx -> message(ctx.response(), 404, "Not Found"));
        router.errorHandler(405, ctx -> {
            ctx.response()
                    .putHeader(
                            HttpHeaders.ALLOW,
                            allowedMethods.apply(ctx.request().path()));
            message(ctx.response(), 405, "Method Not Allowed");
        });
        router.errorHandler(500, ctx -> message(ctx.response(), 500, "Internal Server Error"));
        return router;
    }

    /** Ends {@code response} with {@code status} and echo's JSON error body {@code {"message": …}}. */
    private static void message(HttpServerResponse response, int status, String message) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
                .end("{\"message\":\"" + message + "\"}\n");
    }

    /**
     * {@code handler}, but a request it throws on while reading the request (a query parameter with
     * a bad percent-escape, say) is answered as the router answers an undecodable path: 400 {@code
     * Bad Request}, never silence. Any other exception is a bug: 500, logged with its stack trace.
     * {@code accessLog}, if given, gets the 400's line.
     */
    public static Handler<HttpServerRequest> answeringThrows(
            Handler<HttpServerRequest> handler, Optional<AccessLog> accessLog) {
        AccessLog log = accessLog.filter(AccessLog::enabled).orElse(null);
        return request -> {
            long startNanos = System.nanoTime();
            try {
                handler.handle(request);
            } catch (IllegalArgumentException e) {
                LOG.debug("{} {}: {}", request.method(), shorten(request.uri()), e.getMessage());
                if (!request.response().ended() && log != null) {
                    log.record(request, 400, startNanos);
                }
                badRequest(request.response());
            } catch (RuntimeException e) {
                LOG.error("{} {}: unexpected failure", request.method(), shorten(request.uri()), e);
                message(request.response(), 500, "Internal Server Error");
            }
        };
    }

    private static void badRequest(HttpServerResponse response) {
        if (!response.ended() && !response.closed()) {
            response.setStatusCode(400).end("Bad Request");
        }
    }

    /** Ends {@code response} with {@code status} and a plain-text {@code message}. */
    public static void plain(HttpServerResponse response, int status, String message) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, PLAIN_TEXT)
                .end(message);
    }

    /*
     * Bodies are never buffered: the router leaves the request paused, so an unread body waits in
     * the socket. A declared length over the bound is refused before anything else happens, and the
     * connection is closed after the answer; a client that sent Expect: 100-continue has sent no body.
     */
    private static void rejectLargeBody(RoutingContext ctx, int maxBodyBytes) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long bytes;
            try {
                bytes = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                plain(ctx.response(), 400, "invalid Content-Length: \"" + shorten(length) + "\"");
                return;
            }
            if (bytes > maxBodyBytes) {
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close"); // the body is not read
                plain(
                        ctx.response(),
                        413,
                        "request body too large: " + bytes + " bytes (expected: <= " + maxBodyBytes
                                + ", http.max-body-bytes)");
                return;
            }
        }
        ctx.next();
    }

    /**
     * {@code text} from a client, fit to be quoted in an error message: cut to 32 characters, with
     * control characters, quotes and backslashes escaped ({@code \n}, {@code \u001b}), so a client
     * cannot write raw control bytes into an answer or a terminal that shows it.
     */
    public static String shorten(String text) {
        return shorten(text, 32);
    }

    private static String shorten(String text, int maxChars) {
        String shown = String.valueOf(text);
        String cut = shown.length() > maxChars ? shown.substring(0, maxChars) : shown;
        StringBuilder quoted = new StringBuilder(cut.length() + 8);
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            switch (c) {
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                case '"', '\\' -> quoted.append('\\').append(c);
                default -> {
                    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return shown.length() > maxChars ? quoted + "..." : quoted.toString();
    }
}
