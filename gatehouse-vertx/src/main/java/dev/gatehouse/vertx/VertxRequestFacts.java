package dev.gatehouse.vertx;

import dev.gatehouse.core.key.RequestFacts;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Vert.x request as a key extractor reads it, with the name of the authenticated user when there is
 * one ({@code principal}: Vert.x Web's {@code User#subject()}; null for a bare request).
 */
public record VertxRequestFacts(
        HttpServerRequest request, @Nullable String principal) implements RequestFacts {

    /** A bare request's facts: no authenticated user. */
    public VertxRequestFacts(HttpServerRequest request) {
        this(request, null);
    }

    @Override
    public @Nullable String remoteAddress() {
        SocketAddress remote = request.remoteAddress();
        return remote == null ? null : remote.hostAddress();
    }

    @Override
    public List<String> headers(String name) {
        return request.headers().getAll(name);
    }

    @Override
    public @Nullable String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public @Nullable String cookie(String name) {
        Cookie cookie = request.getCookie(name);
        return cookie == null ? null : cookie.getValue();
    }
}
