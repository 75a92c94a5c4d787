package dev.gatehouse.server.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Request validation errors in the shape FastAPI (pydantic 2) answers them, so that GatekeeperAPI's
 * clients read them unchanged: 422 {@code {"detail": [{"type", "loc", "msg", "input"[, "ctx"]}]}},
 * one entry per bad field.
 */
final class Validation {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Longest text echoed back as a bad field's {@code input}. */
    private static final int MAX_ECHO_CHARS = 1024;

    private final List<ObjectNode> errors = new ArrayList<>();

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /** A required field that is absent. */
    Validation missing(String where, String name) {
        return add("missing", List.of(where, name), "Field required", NODES.nullNode(), null);
    }

    /** A text longer than {@code maxChars}. */
    Validation tooLong(String where, String name, String input, int maxChars) {
        ObjectNode ctx = NODES.objectNode().put("max_length", maxChars);
        return add(
                "string_too_long",
                List.of(where, name),
                "String should have at most " + maxChars + " characters",
                echo(input),
                ctx);
    }

    /** An error of {@code type} at {@code loc} (strings and integers), with pydantic's message. */
    Validation add(String type, List<Object> loc, String msg, JsonNode input, @Nullable ObjectNode ctx) {
        ObjectNode error = NODES.objectNode().put("type", type);
        ArrayNode path = error.putArray("loc");
        for (Object part : loc) {
            if (part instanceof Integer index) {
                path.add(index);
            } else {
                path.add(String.valueOf(part));
            }
        }
        error.put("msg", msg);
        error.set("input", input);
        if (ctx != null) {
            error.set("ctx", ctx);
        }
        errors.add(error);
        return this;
    }

    /** {@code text} as an {@code input} member, cut to {@link #MAX_ECHO_CHARS}. */
    static JsonNode echo(String text) {
        return NODES.textNode(text.length() > MAX_ECHO_CHARS ? text.substring(0, MAX_ECHO_CHARS) : text);
    }

    /** Ends {@code response} with 422 and the errors. */
    void send(HttpServerResponse response) {
        ObjectNode body = NODES.objectNode();
        body.putArray("detail").addAll(errors);
        try {
            JsonAnswers.send(response, 422, JSON.writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree of nodes always serialises", e);
        }
    }
}
