package dev.gatehouse.http;

import dev.gatehouse.core.key.RequestFacts;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A Vert.x request as a key extractor reads it; it knows no authenticated user. */
public record VertxRequestFacts(HttpServerRequest request) implements RequestFacts {

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

    @Override
    public @Nullable String principal() {
        return null;
    }
}
