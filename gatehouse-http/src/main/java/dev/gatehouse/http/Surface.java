package dev.gatehouse.http;

import io.netty.channel.ChannelPipeline;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.Optional;

/**
 * One HTTP API of the process on a listener of its own: the rate service, the waiting room, the
 * gateway. A surface brings its routes and says where it listens and how its errors read; {@link
 * Listeners} gives it a router with the shared handlers (access log, body bound, error answers)
 * already installed, a bounded listener, a place on the admin listener and its part in the graceful
 * shutdown. Surfaces never know of each other.
 */
public interface Surface {

    /** A short lowercase name, for logs and for {@link Listeners#port(String)}: {@code rate}. */
    String name();

    /** The address its listener binds (port 0: a free one). */
    Address address();

    /** How its errors read, the shared plumbing's included. */
    ErrorStyle errorStyle();

    /**
     * The methods {@code path} answers (as the router matches it), for the {@code Allow} header of a
     * 405.
     */
    String allowedMethods(String path);

    /**
     * The listener it is served on: its own ({@link #name()}), or the one of the surface of that name
     * when it shares that surface's port (the first surface of a listener gives the address).
     */
    default String listener() {
        return name();
    }

    /**
     * Whether requests for {@code path} are this surface's, when it shares its listener with others:
     * the surfaces sharing a listener are asked in order, and the last one takes every path no other
     * claims (unknown paths are answered in its style).
     */
    default boolean claims(String path) {
        return true;
    }

    /** Adds its routes to {@code router}. */
    void mount(Router router);

    /** Adds what it serves privately (state listings, say) to the admin listener's {@code router}. */
    default void mountAdmin(Router router) {}

    /**
     * The handler in front of its {@code router}: the router itself, or a fast path that answers
     * some requests without routing (and writes {@code accessLog}, when given, for those).
     */
    default Handler<HttpServerRequest> front(Router router, Optional<AccessLog> accessLog) {
        return router;
    }

    /**
     * Whether it answers from other connections' reads (a proxy's answer comes when its upstream's
     * arrives): then its listener's HTTP/1.x connections flush once per turn of their event loop
     * ({@link GuardedTransport#flushOncePerTurn}), so that many answers go out together. A surface
     * that answers while it reads the request gains nothing: Vert.x holds those writes for the read.
     */
    default boolean answersFromOtherConnections() {
        return false;
    }

    /**
     * An accepted HTTP/1.x connection of its listener, before Vert.x reads its first request: a
     * surface may put a handler of its own just before Vert.x's (named {@code "handler"}) to serve
     * some requests below Vert.x's request objects. Such a handler passes every message it does not
     * serve on to Vert.x, in order, and keeps the connection's answers in the order of its requests.
     */
    default void acceptedHttp1(ChannelPipeline pipeline) {}

    /**
     * Stops taking work and answers the calls that wait (the shutdown has begun); called before its
     * listener drains the requests in progress.
     */
    default void stop() {}

    /** A host and port to listen on. */
    record Address(String host, int port) {}
}
