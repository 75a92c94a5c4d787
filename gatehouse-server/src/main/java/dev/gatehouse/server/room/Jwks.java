package dev.gatehouse.server.room;

import dev.gatehouse.waitingroom.QueueTokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * {@code GET /.well-known/jwks.json}: the JSON Web Key Set (RFC 7517) a backend checks the room's
 * queue tokens with, without calling the room for each: under EdDSA the room's Ed25519 public key as
 * an OKP key (RFC 8037) named by the {@code kid} its tokens carry; under HS256 no key (the secret is
 * not public), {@code {"keys":[]}}. Anyone may read it: no API key.
 */
final class Jwks {

    /** Where the set is served. */
    static final String PATH = "/.well-known/jwks.json";

    /**
     * A minute: a process keeps its key for its life, so the set changes only when replicas restart
     * with another key; a cache in front then serves the old one at most this long (a client that
     * meets an unknown kid fetches the set again).
     */
    private static final String CACHE_CONTROL = "public, max-age=60";

    private final byte[] body;

    Jwks(QueueTokens tokens) {
        this.body = json(tokens).getBytes(StandardCharsets.US_ASCII);
    }

    /** The set of {@code tokens}' public key, as JSON (every value is base64url or a constant: nothing to escape). */
    static String json(QueueTokens tokens) {
        if (tokens.algorithm() != QueueTokens.Algorithm.EDDSA) {
            return "{\"keys\":[]}";
        }
        String x = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(tokens.verifyingKey().orElseThrow().raw());
        return "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\",\"kid\":\""
                + tokens.keyId().orElseThrow() + "\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}";
    }

    void mount(Router router) {
        router.route(PATH).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
            if (ctx.response().ended() || ctx.response().closed()) {
                return;
            }
            ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
                    .end(Buffer.buffer(body));
        });
    }
}
