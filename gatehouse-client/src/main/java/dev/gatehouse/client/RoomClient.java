package dev.gatehouse.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
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
public interface RoomClient extends AutoCloseable {

    /** A client of the room at {@code baseUrl} (where {@code /queue/verify} is found) for the tenant of {@code apiKey}. */
    static Builder builder(URI baseUrl, String apiKey) {
        return new Builder(baseUrl, apiKey);
    }

    /**
     * {@code GET /queue/verify}: whether the user {@code jwt} names is ready now. Throws {@link
     * ErrorResponseException} for an error answer (401 for an unknown key and for a missing,
     * malformed, forged, other room's or expired token), {@link GatehouseClientException} when there
     * is no usable answer, and {@link IllegalArgumentException} when {@code jwt} is empty or holds
     * anything but printable ASCII (no JWT does).
     */
    Verification verify(String jwt);

    /**
     * {@code DELETE /queue/finish}: ends the ready state of the user {@code jwt} names (a user who is
     * not ready is left as it is). Throws as {@link #verify} does.
     */
    Finish finish(String jwt);

    /** Closes the HTTP client the builder made (not one given to it). */
    @Override
    void close();

    /** The answer of {@code verify}: whether the user is ready, and the room's message. */
    record Verification(boolean ready, String message) {}

    /** The answer of {@code finish}: what it did, and the room's message. */
    record Finish(Status status, String message) {

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
    final class Builder {

        private final URI baseUrl;
        private final String apiKey;
        private final HttpOptions http = new HttpOptions();

        private Builder(URI baseUrl, String apiKey) {
            this.baseUrl = HttpOptions.base("baseUrl", baseUrl);
            Objects.requireNonNull(apiKey, "apiKey");
            if (apiKey.isBlank() || !HttpRoomClient.isHeaderText(apiKey)) {
                throw new IllegalArgumentException("apiKey: (expected: a non-blank key of printable ASCII)");
            }
            this.apiKey = apiKey;
        }

        /** How long a connection may take to open (2 s); ignored with {@link #httpClient}, which has its own. */
        public Builder connectTimeout(Duration timeout) {
            http.connectTimeout(timeout);
            return this;
        }

        /** How long a call may take, from sending to the last byte of the answer (5 s). */
        public Builder requestTimeout(Duration timeout) {
            http.requestTimeout(timeout);
            return this;
        }

        /** The longest answer read, in bytes (65,536); a longer one fails the call. */
        public Builder maxAnswerBytes(int bytes) {
            http.maxAnswerBytes(bytes);
            return this;
        }

        /**
         * An HTTP client to send with (to share one, or for TLS settings), instead of one made with
         * {@link #connectTimeout} that follows no redirect. Its owner closes it; give it no redirect
         * policy that would send the API key to another host.
         */
        public Builder httpClient(HttpClient client) {
            http.httpClient(client);
            return this;
        }

        public RoomClient build() {
            return new HttpRoomClient(baseUrl, apiKey, new HttpCalls(http));
        }
    }
}
