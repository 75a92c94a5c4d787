package dev.gatehouse.core.key;

import dev.gatehouse.core.check.Require;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads the key a request is limited under, or finds none (null): then the next extractor of a
 * {@link #orElse} chain is asked. A key is never longer than {@link #MAX_KEY_CHARS} (a longer value
 * is cut: its start still tells clients apart, and no client grows a limiter's memory by sending
 * long ones).
 *
 * <p>Addresses are keyed in one spelling: an IPv6 address in its canonical text form (RFC 5952:
 * {@code 2001:db8::1}, however the server wrote it), an IPv4-mapped IPv6 address as its IPv4
 * address; {@link #remoteNetwork} keys a client by its network instead (an IPv6 client usually
 * holds a whole /64).
 */
@FunctionalInterface
public interface KeyExtractor {

    /** The longest key given; longer values are cut to it. */
    int MAX_KEY_CHARS = 256;

    /** The key of a request without a peer address (a Unix socket). */
    String UNKNOWN = "unknown";

    /** The key of {@code request}, or null when this extractor finds none there. */
    @Nullable
    String keyOf(RequestFacts request);

    /** This extractor, and {@code fallback} for a request in which it finds no key. */
    default KeyExtractor orElse(KeyExtractor fallback) {
        return request -> {
            String key = keyOf(request);
            return key != null ? key : fallback.keyOf(request);
        };
    }

    /** The key of {@code request}, never null: this extractor's, else the peer's address. */
    default String keyOrAddress(RequestFacts request) {
        String key = keyOf(request); // no extractor built per call: this runs on every request
        return key != null ? key : addressOf(request);
    }

    /** The peer's address, in one spelling per address; {@link #UNKNOWN} without one. */
    static KeyExtractor remoteAddress() {
        return KeyExtractor::addressOf;
    }

    private static String addressOf(RequestFacts request) {
        String address = request.remoteAddress();
        return address == null || address.isEmpty() ? UNKNOWN : Addresses.canonical(address);
    }

    /**
     * The peer's network: its address with all but the first {@code ipv4Bits} or {@code ipv6Bits}
     * cleared, as {@code 2001:db8:1:2::/64}; {@link #UNKNOWN} without an address.
     */
    static KeyExtractor remoteNetwork(int ipv4Bits, int ipv6Bits) {
        Require.inRange("ipv4Bits", ipv4Bits, 1, 32);
        Require.inRange("ipv6Bits", ipv6Bits, 1, 128);
        return request -> {
            String address = request.remoteAddress();
            return address == null || address.isEmpty() ? UNKNOWN : Addresses.network(address, ipv4Bits, ipv6Bits);
        };
    }

    /**
     * The address {@code trustedHops} entries from the right of {@code X-Forwarded-For} (all its
     * headers, in order; empty entries skipped): the address the farthest proxy you run saw, as
     * Wicket's {@code ProxyAwareKey(trustedHops)}. With fewer entries, none: the header then holds
     * nothing a trusted proxy wrote (chain {@link #orElse} the peer's address, or use {@link
     * #keyOrAddress}). Never count more hops than the proxies you run: entries left of them are
     * whatever the client wrote.
     */
    static KeyExtractor forwardedFor(int trustedHops) {
        Require.inRange("trustedHops", trustedHops, 1, 64);
        return request -> {
            List<String> headers = request.headers("X-Forwarded-For");
            int wanted = trustedHops;
            for (int h = headers.size() - 1; h >= 0; h--) {
                String header = headers.get(h);
                int end = header.length();
                while (end >= 0) {
                    int comma = header.lastIndexOf(',', end - 1);
                    String entry = header.substring(comma + 1, end).strip();
                    end = comma;
                    if (!entry.isEmpty() && --wanted == 0) {
                        return bounded(Addresses.canonical(Addresses.withoutPort(entry)));
                    }
                }
            }
            return null;
        };
    }

    /** The value of the header {@code name}, when present and not empty. */
    static KeyExtractor header(String name) {
        Require.given("name", name, "a header name");
        return request -> nonEmpty(request.header(name));
    }

    /** The value of the cookie {@code name}, when present and not empty. */
    static KeyExtractor cookie(String name) {
        Require.given("name", name, "a cookie name");
        return request -> nonEmpty(request.cookie(name));
    }

    /**
     * An API key in the header {@code name} ({@code Authorization: Bearer <key>} read as the key),
     * keyed as {@code key:} and the first 16 bytes of its SHA-256 in hex: the secret itself never
     * becomes a limiter's key, which metrics and logs may show.
     */
    static KeyExtractor apiKey(String name) {
        Require.given("name", name, "a header name");
        return request -> {
            String value = nonEmpty(request.header(name));
            if (value == null) {
                return null;
            }
            if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
                value = nonEmpty(value.substring(7).strip());
            }
            return value == null ? null : "key:" + Addresses.digest(value);
        };
    }

    /** The authenticated user's name, as {@code user:<name>}; none for an anonymous request. */
    static KeyExtractor principal() {
        return request -> {
            String name = nonEmpty(request.principal());
            return name == null ? null : bounded("user:" + name);
        };
    }

    /**
     * The keys of every one of {@code parts}, joined by {@code |} (an address and an API key, say);
     * none when any part finds none.
     */
    static KeyExtractor composite(KeyExtractor... parts) {
        List<KeyExtractor> all = List.of(parts);
        Require.atLeast("parts", all.size(), 1);
        return request -> {
            StringBuilder key = new StringBuilder();
            for (KeyExtractor part : all) {
                String value = part.keyOf(request);
                if (value == null) {
                    return null;
                }
                key.append(key.isEmpty() ? "" : "|").append(value);
            }
            return bounded(key.toString());
        };
    }

    /** The first key any of {@code candidates} finds, in order. */
    static KeyExtractor firstOf(KeyExtractor... candidates) {
        List<KeyExtractor> all = List.of(candidates);
        Require.atLeast("candidates", all.size(), 1);
        return request -> {
            for (KeyExtractor candidate : all) {
                String key = candidate.keyOf(request);
                if (key != null) {
                    return key;
                }
            }
            return null;
        };
    }

    /** The key {@code function} gives (null or empty: none), bounded as every key is. */
    static KeyExtractor of(Function<RequestFacts, @Nullable String> function) {
        Require.given("function", function, "a function of the request");
        return request -> nonEmpty(function.apply(request));
    }

    private static @Nullable String nonEmpty(@Nullable String value) {
        return value == null || value.isEmpty() ? null : bounded(value);
    }

    private static String bounded(String key) {
        return key.length() > MAX_KEY_CHARS ? key.substring(0, MAX_KEY_CHARS) : key;
    }
}
