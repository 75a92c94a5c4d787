package dev.gatehouse.proof.pow;

import dev.gatehouse.core.check.Require;

/** The hash a proof-of-work is counted in, with its parameters; they travel inside each challenge. */
public sealed interface PowAlgorithm {

    /** SHA-256(payload ‖ nonce). */
    record Sha256() implements PowAlgorithm {}

    /**
     * Argon2id (version 0x13) with the nonce as password and the payload as salt, 32-byte output: a
     * memory-hard variant, so custom hardware gains less over a browser.
     *
     * @param memoryKiB memory per hash, in KiB
     * @param iterations passes over the memory
     * @param parallelism lanes
     */
    record Argon2id(int memoryKiB, int iterations, int parallelism) implements PowAlgorithm {

        /** The most memory one verification may take, 256 MiB: bounds the server's cost per verify. */
        public static final int MAX_MEMORY_KIB = 256 * 1024;
        /** The most passes one verification may take. */
        public static final int MAX_ITERATIONS = 16;
        /** The most lanes. */
        public static final int MAX_PARALLELISM = 8;

        /** 4 MiB, one pass, one lane: a few milliseconds per hash. */
        public static final Argon2id DEFAULT = new Argon2id(4 * 1024, 1, 1);

        public Argon2id {
            Require.inRange("parallelism", parallelism, 1, MAX_PARALLELISM);
            Require.inRange("memoryKiB", memoryKiB, 8 * parallelism, MAX_MEMORY_KIB);
            Require.inRange("iterations", iterations, 1, MAX_ITERATIONS);
        }
    }
}
