package dev.gatehouse.proof.pow;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;

/**
 * Issues and verifies proof-of-work challenges. Issuing writes nothing anywhere; a successful
 * verification consumes the challenge in the shared {@link NonceStore}, so replicas that share the
 * secret and the store accept each other's challenges, each at most once.
 */
public interface ProofOfWork {

    /** The longest nonce accepted, in bytes. */
    int MAX_NONCE_BYTES = 64;
    /** The longest challenge id accepted, in characters. */
    int MAX_ID_CHARS = 128;
    /** The length of a challenge payload, in bytes. */
    int PAYLOAD_BYTES = 16;

    /** A new challenge whose difficulty follows {@code load} in [0, 1]. */
    Challenge issue(double load);

    /** Checks a solution; consumes the challenge when it is accepted. */
    PowVerdict verify(String id, byte[] nonce);

    /** {@link #verify(String, byte[])} with the nonce in hex, as the wire carries it. */
    PowVerdict verifyHex(String id, String nonceHex);

    /** SHA-256 challenges. */
    static ProofOfWork sha256(PowSpec spec, HmacSecrets secrets, NonceStore store, WallClock clock) {
        return new SignedProofOfWork(spec, new PowAlgorithm.Sha256(), secrets, store, clock);
    }

    /** Argon2id challenges with {@code parameters}, which every challenge carries to the client. */
    static ProofOfWork argon2id(
            PowSpec spec, PowAlgorithm.Argon2id parameters, HmacSecrets secrets, NonceStore store, WallClock clock) {
        return new SignedProofOfWork(spec, parameters, secrets, store, clock);
    }
}
