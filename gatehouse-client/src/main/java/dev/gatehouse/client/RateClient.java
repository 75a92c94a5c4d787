package dev.gatehouse.client;

import dev.gatehouse.client.GatehouseClientException.Kind;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

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
public final class RateClient implements AutoCloseable {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The most digits of a request id (a decimal long has 19). */
    private static final int MAX_ID_DIGITS = 19;

    private final URI baseUrl;
    private final HttpCalls http;

    private RateClient(URI baseUrl, HttpCalls http) {
        this.baseUrl = baseUrl;
        this.http = http;
    }

    /**
     * {@code GET /rate/{key}} (the key percent-encoded as one path segment): allowed (200) or not
     * (429). Throws {@link ErrorResponseException} for any other status (400 or 403 with gocc's words
     * for a refused parameter, 503 while the server stops or its store is down), {@link
     * GatehouseClientException} for no usable answer (a 200 whose body is not a request id, a
     * malformed {@code RateLimit} header), and {@link IllegalArgumentException} for an empty key.
     */
    public Decision decide(String key) {
        String call = "GET /rate/{key}";
        HttpCalls.Answer answer = http.send(
                call,
                HttpRequest.newBuilder(URI.create(baseUrl + "/rate/" + segment(key)))
                        .GET());
        return switch (answer.status()) {
            case 200 -> {
                String body = answer.text().strip();
                OptionalLong id = HttpCalls.digits(body, MAX_ID_DIGITS);
                if (id.isEmpty() || !answer.mediaType().equals("text/plain")) {
                    throw new GatehouseClientException(
                            Kind.MALFORMED_ANSWER,
                            call + ": a 200 answer of type \"" + HttpCalls.quote(answer.mediaType()) + "\" and body \""
                                    + HttpCalls.quote(body) + "\" (expected: text/plain, a request id)");
                }
                yield new Decision(true, id, limit(call, answer.headers()), Optional.empty());
            }
            case 429 ->
                new Decision(false, OptionalLong.empty(), limit(call, answer.headers()), retryAfter(call, answer));
            default -> throw HttpCalls.error(call, answer);
        };
    }

    /**
     * {@code DELETE /rate/{key}/{requestId}}: frees one slot of the key's current window (ends one
     * call of a {@code concurrency} key). Throws as {@link #decide} does.
     */
    public void release(String key, long requestId) {
        String call = "DELETE /rate/{key}/{requestId}";
        URI uri = URI.create(baseUrl + "/rate/" + segment(key) + "/" + requestId);
        HttpCalls.Answer answer = http.send(call, HttpRequest.newBuilder(uri).DELETE());
        if (answer.status() != 200) {
            throw HttpCalls.error(call, answer);
        }
    }

    /** {@code key} as one path segment: its UTF-8 bytes, every one but the unreserved characters percent-encoded. */
    static String segment(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key: \"\" (expected: a non-empty key)");
        }
        StringBuilder encoded = new StringBuilder(key.length() * 3);
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean unreserved = (c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '~';
            if (unreserved) {
                encoded.append(c);
            } else { // '.' too: a key "." or ".." must not become a dot segment
                encoded.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
        }
        return encoded.toString();
    }

    private static Optional<Duration> retryAfter(String call, HttpCalls.Answer answer) {
        if (answer.headers().firstValue("retry-after").isEmpty()) {
            return Optional.empty();
        }
        Optional<Duration> wait = HttpCalls.retryAfter(answer.headers());
        if (wait.isEmpty()) {
            throw malformed(
                    call,
                    "Retry-After",
                    answer.headers().firstValue("retry-after").orElse(""));
        }
        return wait;
    }

    /** The two headers' limit; empty when neither is sent (gocc); throws when one is missing or malformed. */
    private static Optional<Limit> limit(String call, HttpHeaders headers) {
        Optional<String> state = headers.firstValue("ratelimit");
        Optional<String> policy = headers.firstValue("ratelimit-policy");
        if (state.isEmpty() && policy.isEmpty()) {
            return Optional.empty();
        }
        Item stateItem = Item.parse(state.orElse(""));
        Item policyItem = Item.parse(policy.orElse(""));
        if (stateItem == null || stateItem.parameter("r") == null) {
            throw malformed(call, "RateLimit", state.orElse(""));
        }
        if (policyItem == null
                || policyItem.parameter("q") == null
                || !policyItem.name().equals(stateItem.name())) {
            throw malformed(call, "RateLimit-Policy", policy.orElse(""));
        }
        return Optional.of(new Limit(
                stateItem.name(),
                Objects.requireNonNull(policyItem.parameter("q")),
                optional(policyItem.parameter("w")),
                Objects.requireNonNull(stateItem.parameter("r")),
                optional(stateItem.parameter("t"))));
    }

    private static OptionalLong optional(@Nullable Long value) {
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    private static GatehouseClientException malformed(String call, String header, String value) {
        return new GatehouseClientException(
                Kind.MALFORMED_ANSWER, call + ": header " + header + ": \"" + HttpCalls.quote(value) + "\"");
    }

    /**
     * A structured-field item (RFC 8941) as the two headers use it: a name (a string or a token) and
     * parameters, of which the non-negative integers are kept ({@code "fixed_window";q=100;w=1});
     * other parameters are skipped, as the draft asks of unknown ones.
     */
    private record Item(String name, Map<String, Long> integers) {

        @Nullable
        Long parameter(String key) {
            return integers.get(key);
        }

        static @Nullable Item parse(String text) {
            String field = text.strip();
            int at;
            String name;
            if (field.startsWith("\"")) {
                StringBuilder value = new StringBuilder();
                at = 1;
                while (true) {
                    if (at >= field.length()) {
                        return null;
                    }
                    char c = field.charAt(at++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        if (at >= field.length()) {
                            return null;
                        }
                        c = field.charAt(at++);
                    }
                    if (c < 0x20 || c > 0x7e) {
                        return null;
                    }
                    value.append(c);
                }
                name = value.toString();
            } else {
                at = 0;
                while (at < field.length() && field.charAt(at) != ';') {
                    at++;
                }
                name = field.substring(0, at).strip();
                if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"')) {
                    return null;
                }
            }
            Map<String, Long> integers = new HashMap<>();
            String rest = field.substring(at).strip();
            if (!rest.isEmpty()) {
                if (!rest.startsWith(";")) {
                    return null;
                }
                for (String parameter : rest.substring(1).split(";", -1)) {
                    String[] pair = parameter.strip().split("=", 2);
                    if (pair[0].isEmpty()) {
                        return null;
                    }
                    if (pair.length == 2) {
                        OptionalLong number = HttpCalls.digits(pair[1].strip(), 15);
                        if (number.isPresent()) {
                            integers.putIfAbsent(pair[0].strip(), number.getAsLong());
                        } else if (pair[0].strip().length() == 1 && "qwrt".contains(pair[0].strip())) {
                            return null; // one of the draft's parameters, not a number
                        }
                    }
                }
            }
            return new Item(name, Map.copyOf(integers));
        }
    }

    /** Closes the HTTP client the builder made (not one given to it). */
    @Override
    public void close() {
        http.close();
    }

    /** A client of the rate service at {@code baseUrl} (where {@code /rate/{key}} is found). */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /**
     * A decision: allowed or not; when allowed, the request id of the call (gocc's body); the limit's
     * state when the server sent it; and on a refusal, how long until the same call can succeed.
     */
    public record Decision(
            boolean allowed, OptionalLong requestId, Optional<Limit> limit, Optional<Duration> retryAfter) {}

    /**
     * The {@code RateLimit} and {@code RateLimit-Policy} headers (IETF httpapi draft): the policy's
     * name, its quota per window, the window ({@code w}; none for a concurrency limit), what remains
     * now ({@code r}) and the seconds until the quota is whole again ({@code t}; none when that
     * depends on releases).
     */
    public record Limit(
            String policy, long quota, OptionalLong windowSeconds, long remaining, OptionalLong resetSeconds) {}

    /** Options of a {@link RateClient}, each with its default. */
    public static final class Builder extends ClientBuilder<Builder> {

        private final URI baseUrl;

        private Builder(URI baseUrl) {
            this.baseUrl = HttpOptions.base("baseUrl", baseUrl);
        }

        @Override
        Builder self() {
            return this;
        }

        public RateClient build() {
            return new RateClient(baseUrl, new HttpCalls(http));
        }
    }
}
