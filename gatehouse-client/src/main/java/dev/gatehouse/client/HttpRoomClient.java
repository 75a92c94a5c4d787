package dev.gatehouse.client;

import dev.gatehouse.client.GatehouseClientException.Kind;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.Objects;

/** {@link RoomClient} over {@link HttpCalls}. */
final class HttpRoomClient implements RoomClient {

    private final URI verifyUri;
    private final URI finishUri;
    private final String apiKey;
    private final HttpCalls http;

    HttpRoomClient(URI baseUrl, String apiKey, HttpCalls http) {
        this.verifyUri = URI.create(baseUrl + "/queue/verify");
        this.finishUri = URI.create(baseUrl + "/queue/finish");
        this.apiKey = apiKey;
        this.http = http;
    }

    @Override
    public Verification verify(String jwt) {
        Map<String, Object> body = call("GET /queue/verify", verifyUri, "GET", jwt);
        return new Verification(
                field(body, "ready", Boolean.class, "GET /queue/verify"),
                field(body, "message", String.class, "GET /queue/verify"));
    }

    @Override
    public Finish finish(String jwt) {
        Map<String, Object> body = call("DELETE /queue/finish", finishUri, "DELETE", jwt);
        String status = field(body, "status", String.class, "DELETE /queue/finish");
        Finish.Status kind = switch (status) {
            case "ready_cleared" -> Finish.Status.READY_CLEARED;
            case "not_ready" -> Finish.Status.NOT_READY;
            default ->
                throw new GatehouseClientException(
                        Kind.MALFORMED_ANSWER,
                        "DELETE /queue/finish: status \"" + HttpCalls.quote(status)
                                + "\" (expected: ready_cleared or not_ready)");
        };
        return new Finish(kind, field(body, "message", String.class, "DELETE /queue/finish"));
    }

    /**
     * The JSON object of a 200 answer to {@code method} of {@code uri} with the key and {@code jwt};
     * throws for any other answer.
     */
    private Map<String, Object> call(String name, URI uri, String method, String jwt) {
        Objects.requireNonNull(jwt, "jwt");
        if (jwt.isEmpty() || !isHeaderText(jwt)) {
            throw new IllegalArgumentException(name + ": jwt (expected: a token of printable ASCII)");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/json")
                // GatekeeperAPI's header, and the one proxies that drop underscores keep
                .header("business_id", apiKey)
                .header("X-Api-Key", apiKey)
                .header("jwt", jwt);
        HttpCalls.Answer answer = http.send(name, request);
        if (answer.status() != 200) {
            throw HttpCalls.error(name, answer);
        }
        if (!answer.isJson()) {
            throw new GatehouseClientException(
                    Kind.MALFORMED_ANSWER,
                    name + ": a 200 answer of type \"" + HttpCalls.quote(answer.mediaType())
                            + "\" (expected: application/json)");
        }
        try {
            if (Json.parse(answer.body()) instanceof Map<?, ?> object) {
                @SuppressWarnings("unchecked") // Json makes objects of String names
                Map<String, Object> fields = (Map<String, Object>) object;
                return fields;
            }
            throw new GatehouseClientException(Kind.MALFORMED_ANSWER, name + ": the answer is not a JSON object");
        } catch (Json.MalformedJson e) {
            throw new GatehouseClientException(Kind.MALFORMED_ANSWER, name + ": " + e.getMessage(), e);
        }
    }

    private static <T> T field(Map<String, Object> object, String name, Class<T> type, String call) {
        Object value = object.get(name);
        if (!type.isInstance(value)) {
            throw new GatehouseClientException(
                    Kind.MALFORMED_ANSWER,
                    call + ": \"" + name + "\" is " + (value == null ? "missing" : "not a " + type.getSimpleName()));
        }
        return type.cast(value);
    }

    /** Whether {@code text} is printable ASCII (space to tilde): what a header value of a key or a JWT may be. */
    static boolean isHeaderText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        http.close();
    }
}
