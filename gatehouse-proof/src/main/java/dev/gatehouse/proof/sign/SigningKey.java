package dev.gatehouse.proof.sign;

import dev.gatehouse.core.check.Require;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An Ed25519 private key (RFC 8032) made from a raw 32-byte seed; signs with BouncyCastle's RFC 8032 code. */
public final class SigningKey {

    /** The length of a seed. */
    public static final int SEED_BYTES = 32;

    private final byte[] seed;
    private final byte[] publicKey;

    private SigningKey(byte[] seed) {
        this.seed = seed;
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
        // BouncyCastle's RFC 8032 signing, given the public key so it is not derived again per call:
        // about 19x the JDK's speed (ProofBenchmark.ed25519Sign against jdkEd25519Sign)
        byte[] signature = new byte[SignedRecord.SIGNATURE_BYTES];
        Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, signature, 0);
        return signature;
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
