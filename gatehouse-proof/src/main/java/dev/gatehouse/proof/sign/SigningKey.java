package dev.gatehouse.proof.sign;

import dev.gatehouse.core.check.Require;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An Ed25519 private key (RFC 8032) made from a raw 32-byte seed; signs with the JDK's Ed25519. */
public final class SigningKey {

    /** The length of a seed. */
    public static final int SEED_BYTES = 32;

    private final PrivateKey privateKey;
    private final byte[] publicKey;

    private SigningKey(byte[] seed) {
        try {
            this.privateKey = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is required of every Java 15+ platform", e);
        }
        this.publicKey = new byte[VerifyingKey.PUBLIC_KEY_BYTES];
        Ed25519.generatePublicKey(seed, 0, publicKey, 0);
    }

    /** The key of {@code seed32}, the 32-byte private key of RFC 8032. */
    public static SigningKey fromSeed(byte[] seed32) {
        if (seed32 == null || seed32.length != SEED_BYTES) {
            throw new IllegalArgumentException("seed: " + (seed32 == null ? "null" : seed32.length + " bytes")
                    + " (expected: " + SEED_BYTES + " bytes)");
        }
        return new SigningKey(seed32.clone());
    }

    /** A fresh random seed. */
    public static byte[] generateSeed() {
        byte[] seed = new byte[SEED_BYTES];
        new SecureRandom().nextBytes(seed);
        return seed;
    }

    /** The raw 32-byte public key. */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The key that checks this key's signatures. */
    public VerifyingKey verifyingKey() {
        return VerifyingKey.fromRaw(publicKey).orElseThrow();
    }

    /** The 64-byte signature of {@code message}. */
    public byte[] sign(byte[] message) {
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(privateKey);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** {@code body} with its signature; the body may be at most {@link SignedRecord#MAX_BODY_BYTES}. */
    public SignedRecord signRecord(byte[] body) {
        Require.inRange("bodyBytes", body.length, 0, SignedRecord.MAX_BODY_BYTES);
        return new SignedRecord(body, sign(body));
    }

    @Override
    public String toString() {
        return "SigningKey[Ed25519]";
    }
}
