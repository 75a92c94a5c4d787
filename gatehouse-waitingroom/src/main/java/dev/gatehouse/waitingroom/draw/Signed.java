package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.sign.VerifyingKey;
import java.util.HashMap;
import java.util.Map;

/**
 * A draw document and its Ed25519 signature over the RFC 8785 canonical JSON of the document's members.
 *
 * @param document what is signed
 * @param signature 64 bytes as lowercase hex
 */
public record Signed<T extends DrawDocument>(T document, String signature) {

    /** Signs {@code document} with {@code key}, which must be the document's signing key. */
    public static <T extends DrawDocument> Signed<T> sign(T document, SigningKey key) {
        if (!DrawJson.hex(key.publicKey()).equals(document.signingPublicKey())) {
            throw new IllegalArgumentException("the document names another signing key");
        }
        return new Signed<>(document, DrawJson.hex(key.sign(DrawJson.canonical(document.members()))));
    }

    /** Whether the signature is the document's signing key's signature of it (RFC 8032 strict). */
    public boolean verifies() {
        return VerifyingKey.fromRaw(DrawJson.bytes(document.signingPublicKey()))
                .map(key -> key.verify(DrawJson.canonical(document.members()), DrawJson.bytes(signature)))
                .orElse(false);
    }

    /** The file: canonical JSON of the members and the signature. */
    public byte[] file() {
        Map<String, Object> members = new HashMap<>(document.members());
        members.put("signature", signature);
        return DrawJson.canonical(members);
    }
}
