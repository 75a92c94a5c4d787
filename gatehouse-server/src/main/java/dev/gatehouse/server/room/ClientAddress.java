package dev.gatehouse.server.room;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The client's IP for per-IP limits: the connection's, or, behind {@code trustedHops} proxies that
 * each append to {@code X-Forwarded-For}, the entry the outermost trusted proxy wrote (the
 * {@code trustedHops}-th from the right). Entries further left are the client's own words and are
 * never used. An entry that is not an IP address falls back to the connection's.
 */
final class ClientAddress {

    /** IPv4, or IPv6 (hex, colons, an embedded IPv4, a zone): what an entry may look like. */
    private static final Pattern IP = Pattern.compile("[0-9A-Fa-f:.]{2,45}(%[0-9A-Za-z]{1,15})?");

    private ClientAddress() {}

    static String of(HttpServerRequest request, int trustedHops) {
        String connection = connection(request);
        if (trustedHops == 0) {
            return connection;
        }
        List<String> forwarded = request.headers().getAll("X-Forwarded-For");
        if (forwarded.isEmpty()) {
            return connection;
        }
        String[] entries = String.join(",", forwarded).split(",", -1);
        int index = entries.length - trustedHops;
        String entry = entries[Math.max(0, index)].trim();
        if (entry.startsWith("[") && entry.contains("]")) {
            entry = entry.substring(1, entry.indexOf(']')); // [v6]:port
        } else if (entry.indexOf(':') > 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
            entry = entry.substring(0, entry.indexOf(':')); // v4:port
        }
        return IP.matcher(entry).matches() ? entry : connection;
    }

    private static String connection(HttpServerRequest request) {
        // the connection's own: a request's remoteAddress() first reads the forwarding headers (Vert.x
        // Web's wrapper), work of every poll that the trusted hops above already do right
        SocketAddress remote = request.connection().remoteAddress();
        if (remote == null) {
            return "unknown";
        }
        // an address the connection was accepted from names no host: its text, made once per connection
        String host = remote.hostName() == null && remote.host() != null ? remote.host() : remote.hostAddress();
        return host == null ? String.valueOf(remote) : host;
    }
}
