package dev.gatehouse.server.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.sign.VerifyingKey;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The room's EdDSA queue tokens and {@code GET /.well-known/jwks.json}: the set serves the key the
 * tokens are signed with, under the kid they name; an HS256 room serves no key; a room checks only
 * the algorithm it signs with.
 */
class JwksTest {

    private static final String SECRET = "a-test-secret-that-is-long-enough-for-hs256";
    private static final String KEY = "business-key-one";
    private static final String SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private TestServer server;

    private TestServer start(Map<Setting<?>, String> more) {
        Map<Setting<?>, String> settings =
                new HashMap<>(Map.of(RoomSettings.BUSINESS_IDS, KEY, RoomSettings.JWT_SECRET, SECRET));
        settings.putAll(more);
        server = TestServer.start(settings, clock);
        clock.advanceNanos(0);
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anEddsaRoomServesTheKeyItsTokensAreSignedWith() {
        start(Map.of(RoomSettings.TOKEN_ALGORITHM, "EdDSA", RoomSettings.TOKEN_SIGNING_KEY, SEED));

        HttpResponse<String> answer = server.get("/.well-known/jwks.json");
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(answer.headers().firstValue("cache-control")).hasValue("public, max-age=60");
        JsonNode keys = json(answer.body()).get("keys");
        assertThat(keys).hasSize(1);
        JsonNode key = keys.get(0);
        byte[] publicKey = SigningKey.fromSeed(HexFormat.of().parseHex(SEED)).publicKey();
        assertThat(key.get("kty").asText()).isEqualTo("OKP");
        assertThat(key.get("crv").asText()).isEqualTo("Ed25519");
        assertThat(key.get("alg").asText()).isEqualTo("EdDSA");
        assertThat(key.get("use").asText()).isEqualTo("sig");
        assertThat(Base64.getUrlDecoder().decode(key.get("x").asText())).isEqualTo(publicKey);
        // RFC 8037's example key: its RFC 7638 thumbprint is in the RFC (A.3)
        assertThat(key.get("kid").asText()).isEqualTo("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assertThat(key.size()).isEqualTo(6);

        String jwt = enqueue("alice");
        String[] parts = jwt.split("\\.");
        assertThat(json(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8)))
                .isEqualTo(json("{\"alg\":\"EdDSA\",\"kid\":\"" + key.get("kid").asText() + "\"}"));
        JsonNode claims = json(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        assertThat(claims.get("sub").asText()).isEqualTo("alice");
        assertThat(claims.get("tid").asText())
                .isEqualTo(dev.gatehouse.waitingroom.Tenant.ofBusinessId(KEY).id());
        VerifyingKey served = VerifyingKey.fromRaw(
                        Base64.getUrlDecoder().decode(key.get("x").asText()))
                .orElseThrow();
        assertThat(served.verify(
                        (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII),
                        Base64.getUrlDecoder().decode(parts[2])))
                .isTrue();

        assertThat(status(jwt).statusCode()).isEqualTo(200);
        assertThat(server.send("GET", "/queue/verify", "business_id", KEY, "jwt", jwt)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void anEddsaRoomRefusesTheSecretsHs256Tokens() {
        start(Map.of(RoomSettings.TOKEN_ALGORITHM, "eddsa", RoomSettings.TOKEN_SIGNING_KEY, SEED));
        String eddsa = enqueue("alice");
        String claims = eddsa.split("\\.")[1];
        String hs256 = hs256("{\"alg\":\"HS256\"}", claims);
        HttpResponse<String> refused = status(hs256);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(json(refused.body()).get("detail").asText()).isEqualTo("Invalid queue token");
        String none = base64("{\"alg\":\"none\"}") + "." + claims + ".";
        assertThat(status(none).statusCode()).isEqualTo(401);
    }

    @Test
    void anHs256RoomServesNoKeyAndRefusesEddsaTokens() {
        start(Map.of());
        HttpResponse<String> answer = server.get("/.well-known/jwks.json");
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(json(answer.body())).isEqualTo(json("{\"keys\":[]}"));
        String jwt = enqueue("alice");
        assertThat(json(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8)))
                .isEqualTo(json("{\"alg\":\"HS256\"}"));
        assertThat(status(jwt).statusCode()).isEqualTo(200);

        String claims = jwt.split("\\.")[1];
        String input = base64("{\"alg\":\"EdDSA\",\"kid\":\"k\"}") + "." + claims;
        byte[] signature =
                SigningKey.fromSeed(HexFormat.of().parseHex(SEED)).sign(input.getBytes(StandardCharsets.US_ASCII));
        assertThat(status(input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature))
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void withoutASigningKeyTheRoomMakesOneAndServesIt() {
        start(Map.of(RoomSettings.TOKEN_ALGORITHM, "EdDSA"));
        JsonNode key =
                json(server.get("/.well-known/jwks.json").body()).get("keys").get(0);
        String[] parts = enqueue("alice").split("\\.");
        VerifyingKey served = VerifyingKey.fromRaw(
                        Base64.getUrlDecoder().decode(key.get("x").asText()))
                .orElseThrow();
        assertThat(served.verify(
                        (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII),
                        Base64.getUrlDecoder().decode(parts[2])))
                .isTrue();
        assertThat(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8))
                .contains(key.get("kid").asText());
    }

    @Test
    void theSetIsReadOnly() {
        start(Map.of());
        HttpResponse<String> post = server.send("POST", "/.well-known/jwks.json");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void badTokenSettingsAreRefusedByName() {
        assertThatThrownBy(() -> start(Map.of(RoomSettings.TOKEN_ALGORITHM, "RS256")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("room.token-algorithm")
                .hasMessageContaining("eddsa, hs256");
        assertThatThrownBy(() -> start(Map.of(
                        RoomSettings.TOKEN_ALGORITHM, "EdDSA", RoomSettings.TOKEN_SIGNING_KEY, "not-hex-and-secret")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("room.token-signing-key")
                .hasMessageContaining("64 hex digits")
                .hasMessageNotContaining("not-hex-and-secret");
        assertThatThrownBy(() -> start(Map.of(
                        RoomSettings.TOKEN_SIGNING_KEY,
                        SEED.toUpperCase(java.util.Locale.ROOT),
                        RoomSettings.DRAW_SIGNING_KEY,
                        SEED)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("room.token-signing-key")
                .hasMessageContaining("not the same key as a draw key");
    }

    // --- helpers

    private String enqueue(String user) {
        HttpResponse<String> response = server.send("POST", "/queue/enqueue", "business_id", KEY, "user_id", user);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response.body()).get("jwt").asText();
    }

    private HttpResponse<String> status(String jwt) {
        return server.send("GET", "/queue/status", "business_id", KEY, "jwt", jwt);
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String base64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String hs256(String header, String encodedClaims) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String input = base64(header) + "." + encodedClaims;
            return input + "."
                    + Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
