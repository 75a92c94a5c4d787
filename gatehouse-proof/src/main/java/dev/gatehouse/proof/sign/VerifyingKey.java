package dev.gatehouse.proof.sign;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Optional;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An Ed25519 public key that checks signatures with the JDK's Ed25519. */
public final class VerifyingKey {

    /*
     * Design: a raw key from outside is accepted only if BouncyCastle's full validation passes (a
     * canonical encoding of a point of prime order), so a key of small order, under which forged
     * signatures verify, never gets this far. The JDK then verifies signatures, rejecting non-canonical
     * S (S >= L) as RFC 8032 requires.
     */

    /** The length of a raw public key. */
    public static final int PUBLIC_KEY_BYTES = 32;

    private final byte[] raw;
    private final PublicKey publicKey;

    private VerifyingKey(byte[] raw, PublicKey publicKey) {
        this.raw = raw;
        this.publicKey = publicKey;
    }

    /** The key encoded as {@code publicKey32}, or empty if it is not a valid Ed25519 public key. */
    public static Optional<VerifyingKey> fromRaw(byte[] publicKey32) {
        if (publicKey32 == null
                || publicKey32.length != PUBLIC_KEY_BYTES
                || !Ed25519.validatePublicKeyFull(publicKey32, 0)) {
            return Optional.empty();
        }
        byte[] raw = publicKey32.clone();
        boolean xOdd = (raw[31] & 0x80) != 0;
        byte[] bigEndianY = new byte[PUBLIC_KEY_BYTES];
        for (int i = 0; i < PUBLIC_KEY_BYTES; i++) {
            bigEndianY[i] = raw[PUBLIC_KEY_BYTES - 1 - i];
        }
        bigEndianY[0] &= 0x7f;
        try {
            PublicKey key = KeyFactory.getInstance("Ed25519")
                    .generatePublic(new EdECPublicKeySpec(
                            NamedParameterSpec.ED25519, new EdECPoint(xOdd, new BigInteger(1, bigEndianY))));
            return Optional.of(new VerifyingKey(raw, key));
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    /** The raw 32-byte key. */
    public byte[] raw() {
        return raw.clone();
    }

    /** Whether {@code signature} is this key's signature of {@code message}; malformed input is simply false. */
    public boolean verify(byte[] message, byte[] signature) {
        if (message == null || signature == null || signature.length != SignedRecord.SIGNATURE_BYTES) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(publicKey);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (SignatureException | InvalidKeyException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is required of every Java 15+ platform", e);
        }
    }

    /** Whether {@code record} is signed by this key and within the size limit. */
    public boolean verify(SignedRecord record) {
        byte[] body = record.body();
        return body.length <= SignedRecord.MAX_BODY_BYTES && verify(body, record.signature());
    }
}
