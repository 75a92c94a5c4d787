package dev.gatehouse.gateway;

import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.key.RequestFacts;
import dev.gatehouse.gateway.config.GatewayConfig.Identity;
import dev.gatehouse.vertx.VertxRequestFacts;
import io.vertx.core.http.HttpServerRequest;

/**
 * Whose request it is: the key its rate limit is counted under. Wicket counts by the connection's
 * address alone, which behind a load balancer puts every client in one bucket; the identity section
 * picks the address a trusted hop wrote in {@code X-Forwarded-For} (Wicket's {@code ProxyAwareKey}),
 * or a header's or cookie's value, each falling back to the connection's address. Keys are the core's
 * key extractors' ({@link KeyExtractor}): bounded in length, addresses in one spelling.
 */
final class ClientKeys {

    private static final KeyExtractor ADDRESS = KeyExtractor.remoteAddress();

    private final KeyExtractor extractor;

    ClientKeys(Identity identity) {
        this.extractor = switch (identity.source()) {
            case REMOTE_ADDRESS -> KeyExtractor.remoteAddress();
            case FORWARDED_FOR -> KeyExtractor.forwardedFor(identity.trustedHops());
            case HEADER -> KeyExtractor.header(identity.name());
            case COOKIE -> KeyExtractor.cookie(identity.name());
        };
    }

    /** The connection's address, in one spelling ({@link KeyExtractor#UNKNOWN} without one). */
    static String address(HttpServerRequest request) {
        return address(new VertxRequestFacts(request));
    }

    /** The connection's address of the request {@code facts} describe, in one spelling. */
    static String address(RequestFacts facts) {
        return ADDRESS.keyOrAddress(facts);
    }

    /** The client key of {@code request}: never empty. */
    String keyOf(HttpServerRequest request) {
        return keyOf(new VertxRequestFacts(request));
    }

    /** The client key of the request {@code facts} describe: never empty. */
    String keyOf(RequestFacts facts) {
        return extractor.keyOrAddress(facts);
    }
}
