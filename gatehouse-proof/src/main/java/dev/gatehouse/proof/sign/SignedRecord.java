package dev.gatehouse.proof.sign;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A small record and its Ed25519 signature, such as a waiting room's open record.
 *
 * @param body the signed bytes, at most {@link #MAX_BODY_BYTES}
 * @param signature the 64-byte Ed25519 signature of {@code body}
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; equals, hashCode and toString use the contents
public record SignedRecord(byte[] body, byte[] signature) {

    /** The largest record body signed or verified, 64 KiB. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The length of an Ed25519 signature. */
    public static final int SIGNATURE_BYTES = 64;

    public SignedRecord {
        body = body.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof SignedRecord that
                && Arrays.equals(body, that.body)
                && Arrays.equals(signature, that.signature);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(body) + Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "SignedRecord[" + body.length + " bytes]";
    }
}
