package dev.gatehouse.gateway;

import dev.gatehouse.gateway.config.GatewayConfig.Identity;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Whose request it is: the key its rate limit is counted under. Wicket counts by the connection's
 * address alone, which behind a load balancer puts every client in one bucket; the identity section
 * picks the address a trusted hop wrote in {@code X-Forwarded-For}, or a header's or cookie's value.
 * Keys are bounded in length, so a client cannot grow the limiter's memory by sending long ones.
 */
final class ClientKeys {

    /** The longest key kept; a longer value is cut (its start still tells clients apart). */
    static final int MAX_KEY_CHARS = 256;

    /** The key of a request with no address (a Unix socket, say), as Wicket names it. */
    static final String UNKNOWN = "unknown";

    private final Identity identity;

    ClientKeys(Identity identity) {
        this.identity = identity;
    }

    /** The client key of {@code request}: never empty. */
    String keyOf(HttpServerRequest request) {
        String key = switch (identity.source()) {
            case REMOTE_ADDRESS -> address(request);
            case FORWARDED_FOR -> forwardedFor(request);
            case HEADER -> orAddress(request.getHeader(identity.name()), request);
            case COOKIE -> {
                Cookie cookie = request.getCookie(identity.name());
                yield orAddress(cookie == null ? null : cookie.getValue(), request);
            }
        };
        return key.length() > MAX_KEY_CHARS ? key.substring(0, MAX_KEY_CHARS) : key;
    }

    /** The connection's host address, as Go's SplitHostPort gives it. */
    static String address(HttpServerRequest request) {
        SocketAddress remote = request.remoteAddress();
        if (remote == null) {
            return UNKNOWN;
        }
        String host = remote.hostAddress();
        return host == null || host.isEmpty() ? UNKNOWN : host;
    }

    /**
     * The entry {@code trusted_hops} from the right of {@code X-Forwarded-For} (all its headers, in
     * order): the address the farthest proxy we run saw. Fewer entries than that: the connection's
     * address, since the header then holds nothing a trusted proxy wrote.
     */
    private String forwardedFor(HttpServerRequest request) {
        List<String> headers = request.headers().getAll("X-Forwarded-For");
        int wanted = identity.trustedHops();
        for (int h = headers.size() - 1; h >= 0; h--) {
            String header = headers.get(h);
            int end = header.length();
            while (end >= 0) {
                int comma = header.lastIndexOf(',', end - 1);
                String entry = header.substring(comma + 1, end).trim();
                end = comma;
                if (!entry.isEmpty() && --wanted == 0) {
                    return entry;
                }
            }
        }
        return address(request);
    }

    private static String orAddress(@Nullable String value, HttpServerRequest request) {
        return value == null || value.isEmpty() ? address(request) : value;
    }
}
