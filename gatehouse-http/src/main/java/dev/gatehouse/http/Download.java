package dev.gatehouse.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A file sent a slice at a time, as fast as the client reads it: a client that stops reading (or an
 * HTTP/2 stream whose window stays shut) holds one slice of memory, never its own copy of the file
 * (a drawn ticket list is 33 MB for a million tickets).
 */
public final class Download {

    private static final int SLICE_BYTES = 64 * 1024;

    private Download() {}

    /**
     * Answers a {@code GET} or {@code HEAD} of a file: {@code body} as {@code type}, or, when there is
     * none, {@code refusal} in {@code style}: 400 when the request was {@code malformed}, else 404.
     */
    public static void sendOrRefuse(
            RoutingContext ctx,
            ErrorStyle style,
            String type,
            byte @Nullable [] body,
            boolean malformed,
            @Nullable String refusal) {
        if (body == null) {
            style.send(ctx.response(), malformed ? 400 : 404, String.valueOf(refusal));
        } else {
            send(ctx.response(), ctx.request().method().equals(HttpMethod.HEAD), type, body);
        }
    }

    /** Sends {@code body} as {@code type} with its length; for {@code head}, the headers alone. */
    public static void send(HttpServerResponse response, boolean head, String type, byte[] body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, type)
                .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=60")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length));
        if (head) {
            response.end();
            return;
        }
        pump(response, body, 0);
    }

    private static void pump(HttpServerResponse response, byte[] body, int from) {
        int at = from;
        while (!response.closed() && !response.writeQueueFull()) {
            int to = Math.min(body.length, at + SLICE_BYTES);
            Buffer slice = Buffer.buffer(Arrays.copyOfRange(body, at, to));
            if (to == body.length) {
                response.end(slice);
                return;
            }
            response.write(slice);
            at = to;
        }
        if (!response.closed()) {
            int next = at;
            response.drainHandler(v -> pump(response, body, next));
        }
    }
}
