package dev.gatehouse.proof.pow;

import java.util.Arrays;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * A proof-of-work puzzle as sent to a client: find a nonce such that the hash of {@code payload ‖
 * nonce} starts with {@code difficulty} zero bits, before {@code expiresAtMillis}. The {@code id}
 * carries and authenticates everything else, so the server keeps nothing per challenge.
 *
 * @param id the signed challenge, unpadded base64url
 * @param payload random bytes to hash before the nonce
 * @param difficulty leading zero bits required
 * @param expiresAtMillis epoch milliseconds from which the challenge is expired
 * @param algorithm the hash and its parameters
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; equals, hashCode and toString use the contents
public record Challenge(String id, byte[] payload, int difficulty, long expiresAtMillis, PowAlgorithm algorithm) {

    public Challenge {
        payload = payload.clone();
    }

    /** The payload (a copy). */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload in lowercase hex, as the wire format carries it. */
    public String payloadHex() {
        return HexFormat.of().formatHex(payload);
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof Challenge that
                && id.equals(that.id)
                && Arrays.equals(payload, that.payload)
                && difficulty == that.difficulty
                && expiresAtMillis == that.expiresAtMillis
                && algorithm.equals(that.algorithm);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "Challenge[id=" + id + ", payload=" + payloadHex() + ", difficulty=" + difficulty + ", expiresAtMillis="
                + expiresAtMillis + ", algorithm=" + algorithm + "]";
    }
}
