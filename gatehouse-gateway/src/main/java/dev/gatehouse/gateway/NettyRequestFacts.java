package dev.gatehouse.gateway;

import dev.gatehouse.core.key.RequestFacts;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A request as Netty decoded it, as a key extractor reads it: its headers, its first {@code Cookie}
 * header read as Vert.x reads it (strictly), the connection's address. No authenticated user.
 */
record NettyRequestFacts(HttpHeaders headers, @Nullable String remoteAddress) implements RequestFacts {

    @Override
    public List<String> headers(String name) {
        return headers.getAll(name);
    }

    @Override
    public @Nullable String header(String name) {
        return headers.get(name);
    }

    @Override
    public @Nullable String cookie(String name) {
        String line = headers.get(HttpHeaderNames.COOKIE);
        if (line == null) {
            return null;
        }
        for (Cookie cookie : ServerCookieDecoder.STRICT.decode(line)) {
            if (cookie.name().equals(name)) {
                return cookie.value();
            }
        }
        return null;
    }

    @Override
    public @Nullable String principal() {
        return null;
    }
}
