package dev.gatehouse.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The gocc-compatible rate service: {@link #decide} takes one call of a key ({@code GET
 * /rate/{key}}) and says whether it is allowed, with what the answer's {@code RateLimit}, {@code
 * RateLimit-Policy} and {@code Retry-After} headers say (Gatehouse sends them; gocc does not, and
 * then they are empty). A refusal (429) is an answer, not an exception. Safe to share between
 * threads; {@link #close} it when done.
 *
 * <pre>{@code
 * RateClient.Decision decision = rate.decide("user-42");
 * if (!decision.allowed()) { answer 429, Retry-After: decision.retryAfter() }
 * }</pre>
 */
public interface RateClient extends AutoCloseable {

    /** A client of the rate service at {@code baseUrl} (where {@code /rate/{key}} is found). */
    static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /**
     * {@code GET /rate/{key}} (the key percent-encoded as one path segment): allowed (200) or not
     * (429). Throws {@link ErrorResponseException} for any other status (400 or 403 with gocc's words
     * for a refused parameter, 503 while the server stops or its store is down), {@link
     * GatehouseClientException} for no usable answer (a 200 whose body is not a request id, a
     * malformed {@code RateLimit} header), and {@link IllegalArgumentException} for an empty key.
     */
    Decision decide(String key);

    /**
     * {@code DELETE /rate/{key}/{requestId}}: frees one slot of the key's current window (ends one
     * call of a {@code concurrency} key). Throws as {@link #decide} does.
     */
    void release(String key, long requestId);

    /** Closes the HTTP client the builder made (not one given to it). */
    @Override
    void close();

    /**
     * A decision: allowed or not; when allowed, the request id of the call (gocc's body); the limit's
     * state when the server sent it; and on a refusal, how long until the same call can succeed.
     */
    record Decision(boolean allowed, OptionalLong requestId, Optional<Limit> limit, Optional<Duration> retryAfter) {}

    /**
     * The {@code RateLimit} and {@code RateLimit-Policy} headers (IETF httpapi draft): the policy's
     * name, its quota per window, the window ({@code w}; none for a concurrency limit), what remains
     * now ({@code r}) and the seconds until the quota is whole again ({@code t}; none when that
     * depends on releases).
     */
    record Limit(String policy, long quota, OptionalLong windowSeconds, long remaining, OptionalLong resetSeconds) {}

    /** Options of a {@link RateClient}, each with its default. */
    final class Builder {

        private final URI baseUrl;
        private final HttpOptions http = new HttpOptions();

        private Builder(URI baseUrl) {
            this.baseUrl = HttpOptions.base("baseUrl", baseUrl);
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

        /** An HTTP client to send with, instead of one made with {@link #connectTimeout}; its owner closes it. */
        public Builder httpClient(HttpClient client) {
            http.httpClient(client);
            return this;
        }

        public RateClient build() {
            return new HttpRateClient(baseUrl, new HttpCalls(http));
        }
    }
}
