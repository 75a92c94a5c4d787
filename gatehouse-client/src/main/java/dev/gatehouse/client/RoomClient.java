package dev.gatehouse.client;

import dev.gatehouse.client.GatehouseClientException.Kind;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.Objects;

/**
 * The waiting room's calls for a business's backend, under the tenant's API key: {@link #verify}
 * (is the token's user ready?) and {@link #finish} (end the user's visit). A client is safe to share
 * between threads; {@link #close} it when done.
 *
 * <pre>{@code
 * try (RoomClient room = RoomClient.builder(URI.create("https://queue.example.com"), apiKey).build()) {
 *     if (room.verify(jwt).ready()) { ... serve ...; room.finish(jwt); }
 * } catch (ErrorResponseException e) { ... e.status() 401: send the user back to the queue ... }
 * }</pre>
 */
public final class RoomClient implements AutoCloseable {

    private final URI verifyUri;
    private final URI finishUri;
    private final String apiKey;
    private final HttpCalls http;

    private RoomClient(URI baseUrl, String apiKey, HttpCalls http) {
        this.verifyUri = URI.create(baseUrl + "/queue/verify");
        this.finishUri = URI.create(baseUrl + "/queue/finish");
        this.apiKey = apiKey;
        this.http = http;
    }

    /**
     * {@code GET /queue/verify}: whether the user {@code jwt} names is ready now. Throws {@link
     * ErrorResponseException} for an error answer (401 for an unknown key and for a missing,
     * malformed, forged, other room's or expired token), {@link GatehouseClientException} when there
     * is no usable answer, and {@link IllegalArgumentException} when {@code jwt} is empty or holds
     * anything but printable ASCII (no JWT does).
     */
    public Verification verify(String jwt) {
        Map<String, Object> body = call("GET /queue/verify", verifyUri, "GET", jwt);
        return new Verification(
                field(body, "ready", Boolean.class, "GET /queue/verify"),
                field(body, "message", String.class, "GET /queue/verify"));
    }

    /**
     * {@code DELETE /queue/finish}: ends the ready state of the user {@code jwt} names (a user who is
     * not ready is left as it is). Throws as {@link #verify} does.
     */
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

    /** Closes the HTTP client the builder made (not one given to it). */
    @Override
    public void close() {
        http.close();
    }

    /** A client of the room at {@code baseUrl} (where {@code /queue/verify} is found) for the tenant of {@code apiKey}. */
    public static Builder builder(URI baseUrl, String apiKey) {
        return new Builder(baseUrl, apiKey);
    }

    /** The answer of {@code verify}: whether the user is ready, and the room's message. */
    public record Verification(boolean ready, String message) {}

    /** The answer of {@code finish}: what it did, and the room's message. */
    public record Finish(Status status, String message) {

        /** What {@code finish} did. */
        public enum Status {
            /** The user was ready and no longer is (a seat is free). */
            READY_CLEARED,
            /** The user was not ready (queued, unknown, finished or expired already): nothing changed. */
            NOT_READY
        }

        /** Whether a ready state was ended. */
        public boolean cleared() {
            return status == Status.READY_CLEARED;
        }
    }

    /** Options of a {@link RoomClient}, each with its default. */
    public static final class Builder extends ClientBuilder<Builder> {

        private final URI baseUrl;
        private final String apiKey;

        private Builder(URI baseUrl, String apiKey) {
            this.baseUrl = HttpOptions.base("baseUrl", baseUrl);
            Objects.requireNonNull(apiKey, "apiKey");
            if (apiKey.isBlank() || !RoomClient.isHeaderText(apiKey)) {
                throw new IllegalArgumentException("apiKey: (expected: a non-blank key of printable ASCII)");
            }
            this.apiKey = apiKey;
        }

        @Override
        Builder self() {
            return this;
        }

        public RoomClient build() {
            return new RoomClient(baseUrl, apiKey, new HttpCalls(http));
        }
    }
}
