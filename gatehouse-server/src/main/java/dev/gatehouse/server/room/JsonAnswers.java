package dev.gatehouse.server.room;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The room's JSON answers, written once; nothing when the response has ended. None is cached on the
 * way ({@code no-store}): they carry queue tokens and places, one visitor's each.
 */
final class JsonAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");
    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
    /** Room for a status answer with its token (about 330 bytes) without growing. */
    private static final int INITIAL_BYTES = 512;

    private JsonAnswers() {}

    static void send(HttpServerResponse response, int status, ObjectNode body) {
        try {
            send(response, status, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of nodes always serialises", e);
        }
    }

    /** Writes the members of one JSON object. */
    @FunctionalInterface
    interface Members {
        void write(JsonGenerator json) throws IOException;
    }

    /**
     * The object whose members {@code members} writes, streamed straight into the answer's buffer:
     * no tree and no copy, for the answers a crowd asks for (enqueue, status).
     */
    static void send(HttpServerResponse response, int status, Members members) {
        if (response.ended() || response.closed()) {
            return;
        }
        Buffer body = Buffer.buffer(INITIAL_BYTES);
        try (JsonGenerator json = JSON.getFactory().createGenerator(new Appending(body))) {
            json.writeStartObject();
            members.write(json);
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON into memory failed", e);
        }
        send(response, status, body);
    }

    static void send(HttpServerResponse response, int status, String body) {
        send(response, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpServerResponse response, int status, byte[] body) {
        if (response.ended() || response.closed()) {
            return;
        }
        send(response, status, Buffer.buffer(body));
    }

    private static void send(HttpServerResponse response, int status, Buffer body) {
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
                .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
                .end(body);
    }

    /** The generator's output, appended to a buffer. */
    private static final class Appending extends OutputStream {
        private final Buffer buffer;

        Appending(Buffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public void write(int b) {
            buffer.appendByte((byte) b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            buffer.appendBytes(bytes, offset, length);
        }
    }
}
