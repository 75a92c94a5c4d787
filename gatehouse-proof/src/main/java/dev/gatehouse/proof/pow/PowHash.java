package dev.gatehouse.proof.pow;

import dev.gatehouse.proof.internal.Sha256;
import java.security.MessageDigest;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/** The hash a proof-of-work counts zero bits in. */
final class PowHash {

    static final int OUTPUT_BYTES = 32;

    private PowHash() {}

    static byte[] of(PowAlgorithm algorithm, byte[] payload, byte[] nonce) {
        return switch (algorithm) {
            case PowAlgorithm.Sha256 sha256 -> sha256(payload, nonce);
            case PowAlgorithm.Argon2id argon2id -> argon2id(argon2id, payload, nonce);
        };
    }

    private static byte[] sha256(byte[] payload, byte[] nonce) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(payload);
        digest.update(nonce);
        return digest.digest();
    }

    private static byte[] argon2id(PowAlgorithm.Argon2id parameters, byte[] payload, byte[] nonce) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(parameters.memoryKiB())
                .withIterations(parameters.iterations())
                .withParallelism(parameters.parallelism())
                .withSalt(payload)
                .build());
        byte[] out = new byte[OUTPUT_BYTES];
        generator.generateBytes(nonce, out);
        return out;
    }
}
