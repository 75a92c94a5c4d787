package dev.gatehouse.proof.sign;

import java.util.Optional;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An Ed25519 public key that checks signatures (BouncyCastle's RFC 8032 implementation). */
public final class VerifyingKey {

    /*
     * Design: a raw key from outside is accepted only if BouncyCastle's full validation passes (a
     * canonical encoding of a point of prime order), so a key of small order, under which forged
     * signatures verify, never gets this far; the decoded point is kept, so a check does not decode it
     * again. Verification rejects non-canonical S (S >= L) as RFC 8032 requires.
     */

    /** The length of a raw public key. */
    public static final int PUBLIC_KEY_BYTES = 32;

    private final byte[] raw;
    private final Ed25519.PublicPoint point;

    private VerifyingKey(byte[] raw, Ed25519.PublicPoint point) {
        this.raw = raw;
        this.point = point;
    }

    /** The key encoded as {@code publicKey32}, or empty if it is not a valid Ed25519 public key. */
    public static Optional<VerifyingKey> fromRaw(byte[] publicKey32) {
        if (publicKey32 == null || publicKey32.length != PUBLIC_KEY_BYTES) {
            return Optional.empty();
        }
        Ed25519.PublicPoint point = Ed25519.validatePublicKeyFullExport(publicKey32, 0);
        return point == null ? Optional.empty() : Optional.of(new VerifyingKey(publicKey32.clone(), point));
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
        return Ed25519.verify(signature, 0, point, message, 0, message.length);
    }

    /** Whether {@code record} is signed by this key and within the size limit. */
    public boolean verify(SignedRecord record) {
        byte[] body = record.body();
        return body.length <= SignedRecord.MAX_BODY_BYTES && verify(body, record.signature());
    }
}
