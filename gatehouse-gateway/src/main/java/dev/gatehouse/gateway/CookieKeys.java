package dev.gatehouse.gateway;

import dev.gatehouse.proof.secret.HmacSecrets;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HMAC keys of one kind of cookie, derived from the admission secret for that use alone (by its
 * {@code label}), the current secret's first and the previous one's after it, for rotation. A MAC is
 * over texts joined by newlines; a check tries every key, so the time it takes says nothing of which
 * one matched.
 */
final class CookieKeys {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final List<SecretKeySpec> keys;

    CookieKeys(HmacSecrets secrets, String label) {
        byte[] derivation = label.getBytes(StandardCharsets.US_ASCII);
        List<SecretKeySpec> derived = new ArrayList<>();
        derived.add(derive(secrets.current(), derivation));
        secrets.previous().ifPresent(previous -> derived.add(derive(previous, derivation)));
        this.keys = List.copyOf(derived);
    }

    /** The MAC of {@code parts} under the current key, base64url without padding. */
    String sign(String... parts) {
        return B64.encodeToString(mac(keys.getFirst(), parts));
    }

    /** Whether {@code given} is the MAC of {@code parts} under the current or the previous key. */
    boolean verify(String given, String... parts) {
        byte[] presented = given.getBytes(StandardCharsets.US_ASCII);
        boolean matches = false;
        for (SecretKeySpec key : keys) {
            matches |= MessageDigest.isEqual(B64.encode(mac(key, parts)), presented);
        }
        return matches;
    }

    /** A secret derived from the current key for {@code use}: 32 bytes as 64 hex characters. */
    String derivedSecret(String use) {
        return HexFormat.of().formatHex(mac(keys.getFirst(), use));
    }

    /**
     * Whether the client came over TLS, to the gateway or (as its proxy says) to a proxy in front of
     * it: then a cookie is set {@code Secure}.
     */
    static boolean secure(HttpServerRequest request) {
        return request.isSSL() || "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto"));
    }

    private static SecretKeySpec derive(byte[] secret, byte[] label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return new SecretKeySpec(mac.doFinal(label), "HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] mac(SecretKeySpec key, String... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    mac.update((byte) '\n');
                }
                mac.update(parts[i].getBytes(StandardCharsets.UTF_8));
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
