package dev.gatehouse.proof.pow;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.proof.internal.LeadingZeros;
import java.nio.ByteBuffer;
import java.util.Optional;

/** A reference solver: what a client does, for tests and the command line. */
public final class PowSolver {

    private PowSolver() {}

    /**
     * The first 8-byte big-endian counter nonce, from 0, that solves {@code challenge}, or empty after
     * {@code maxAttempts} tries. Expected attempts: 2^difficulty.
     */
    public static Optional<byte[]> solve(Challenge challenge, long maxAttempts) {
        Require.atLeast("maxAttempts", maxAttempts, 1);
        byte[] payload = challenge.payload();
        for (long counter = 0; counter < maxAttempts; counter++) {
            byte[] nonce = ByteBuffer.allocate(Long.BYTES).putLong(counter).array();
            if (isSolution(challenge, payload, nonce)) {
                return Optional.of(nonce);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code nonce} solves {@code challenge}, ignoring expiry and use. */
    public static boolean isSolution(Challenge challenge, byte[] nonce) {
        return isSolution(challenge, challenge.payload(), nonce);
    }

    private static boolean isSolution(Challenge challenge, byte[] payload, byte[] nonce) {
        return LeadingZeros.atLeast(PowHash.of(challenge.algorithm(), payload, nonce), challenge.difficulty());
    }
}
