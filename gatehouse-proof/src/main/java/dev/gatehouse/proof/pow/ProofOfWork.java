package dev.gatehouse.proof.pow;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Issues and verifies proof-of-work challenges. Issuing writes nothing anywhere; a successful
 * verification consumes the challenge in the shared {@link NonceStore}, so replicas that share the
 * secret and the store accept each other's challenges, each at most once.
 *
 * <p>Verification never blocks the calling thread: its verdict completes once the store has answered.
 * SHA-256 work is checked on the calling thread (it is cheap); Argon2id work runs on a bounded hash
 * pool ({@link #defaultHashPool()} unless another is given), and when the pool or the memory budget
 * is full the verdict is {@link PowVerdict#BUSY} at once. Every outcome, a store that cannot answer
 * included, is a verdict: the stage fails only on a bug.
 */
public interface ProofOfWork {

    /**
     * The header a solution's challenge id comes in, on every HTTP surface that asks for work (the
     * waiting room, the Spring Boot starter), beside {@link #NONCE_HEADER}.
     */
    String ID_HEADER = "X-Gatehouse-Pow-Id";

    /** The header a solution's nonce comes in, in hex. */
    String NONCE_HEADER = "X-Gatehouse-Pow-Nonce";

    /** The longest nonce accepted, in bytes. */
    int MAX_NONCE_BYTES = 64;
    /** The longest challenge id accepted, in characters. */
    int MAX_ID_CHARS = 128;
    /** The length of a challenge payload, in bytes. */
    int PAYLOAD_BYTES = 16;

    /** A new challenge whose difficulty follows {@code load} in [0, 1]. */
    Challenge issue(double load);

    /**
     * Checks a solution, in order: shape, signature, expiry, (for Argon2id, whether the challenge was
     * consumed already,) the work, and only then consumes the challenge in the store.
     */
    CompletionStage<PowVerdict> verify(String id, byte[] nonce);

    /** {@link #verify(String, byte[])} with the nonce in hex, as the wire carries it. */
    CompletionStage<PowVerdict> verifyHex(String id, String nonceHex);

    /** SHA-256 challenges; the work is checked on the calling thread. */
    static ProofOfWork sha256(PowSpec spec, HmacSecrets secrets, NonceStore store, WallClock clock) {
        return new SignedProofOfWork(spec, new PowAlgorithm.Sha256(), secrets, store, clock, null);
    }

    /**
     * Argon2id challenges with {@code parameters}, which every challenge carries to the client; the
     * work is checked on {@link #defaultHashPool()}.
     */
    static ProofOfWork argon2id(
            PowSpec spec, PowAlgorithm.Argon2id parameters, HmacSecrets secrets, NonceStore store, WallClock clock) {
        return argon2id(spec, parameters, secrets, store, clock, defaultHashPool());
    }

    /**
     * Argon2id challenges whose work is checked on {@code hashPool}. The pool must be bounded and
     * reject what it has no room for ({@link RejectedExecutionException}), neither queueing without
     * bound nor running the hash on the submitting thread: a rejected hash is a {@link
     * PowVerdict#BUSY} verdict. {@code Runnable::run} hashes on whichever thread gets there (the
     * caller's with a store in memory, the store's own with Redis): for benchmarks and command-line
     * tools only.
     */
    static ProofOfWork argon2id(
            PowSpec spec,
            PowAlgorithm.Argon2id parameters,
            HmacSecrets secrets,
            NonceStore store,
            WallClock clock,
            Executor hashPool) {
        return new SignedProofOfWork(spec, parameters, secrets, store, clock, hashPool);
    }

    /**
     * The pool Argon2id work is checked on by default, shared by the process: one daemon thread per
     * core (idle ones end after a minute) and at most four waiting hashes per core; when it is full
     * it rejects, and the verdict is {@link PowVerdict#BUSY}. Each verifier also bounds the hashes it
     * has in flight, queued or running, to {@link #argon2MemoryBudgetKiB()} of Argon2id memory (one
     * hash at least) and four per core, with the same verdict past that.
     */
    static Executor defaultHashPool() {
        return HashPool.shared();
    }

    /**
     * The most Argon2id memory, in KiB, a verifier's hashes take at once: 256 MiB, or a quarter of the
     * heap's most on a smaller heap. A hash that takes more is checked alone, one at a time.
     */
    static long argon2MemoryBudgetKiB() {
        return SignedProofOfWork.ARGON2_MEMORY_BUDGET_KIB;
    }
}
