package dev.gatehouse.server.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * The room's JSON answers, written once; nothing when the response has ended. None is cached on the
 * way ({@code no-store}): they carry queue tokens and places, one visitor's each.
 */
final class JsonAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");
    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");

    private JsonAnswers() {}

    static void send(HttpServerResponse response, int status, ObjectNode body) {
        try {
            send(response, status, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of nodes always serialises", e);
        }
    }

    static void send(HttpServerResponse response, int status, String body) {
        send(response, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpServerResponse response, int status, byte[] body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
                .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
                .end(Buffer.buffer(body));
    }
}
