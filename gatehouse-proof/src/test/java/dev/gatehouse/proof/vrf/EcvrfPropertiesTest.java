package dev.gatehouse.proof.vrf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EcvrfPropertiesTest {

    static LongStream seeds() {
        return RandomCases.seeds(15);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void prove_randomKeyAndInput_verifiesToItsHashAndAnyFlippedBitFails(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertProofHolds(
                RandomCases.bytes(random, 32, 32),
                RandomCases.bytes(random, 0, 64),
                RandomCases.intBetween(random, 0, Ecvrf.PROOF_BYTES * 8 - 1));
    }

    @Test
    void prove_edgeKeysAndInputs_verifiesToItsHashAndEveryFieldsEdgeBitFails() {
        for (byte fill : new byte[] {0, -1}) {
            byte[] secretKey = new byte[32];
            Arrays.fill(secretKey, fill);
            for (int length : new int[] {0, 1, 64}) {
                byte[] alpha = new byte[length];
                Arrays.fill(alpha, fill);
                // gamma is bits 0..255, c 256..383, s 384..639
                assertProofHolds(secretKey, alpha, 0, 1, 255, 256, 383, 384, 638, 639);
            }
        }
    }

    private static void assertProofHolds(byte[] secretKey, byte[] alpha, int... bits) {
        String inputs = "key %s, alpha %s"
                .formatted(HexFormat.of().formatHex(secretKey), HexFormat.of().formatHex(alpha));
        byte[] publicKey = Ecvrf.publicKey(secretKey);
        byte[] proof = Ecvrf.prove(secretKey, alpha);

        byte[] beta = Ecvrf.verify(publicKey, proof, alpha).orElseThrow();
        assertThat(beta)
                .as(inputs)
                .hasSize(Ecvrf.OUTPUT_BYTES)
                .isEqualTo(Ecvrf.proofToHash(proof).orElseThrow());
        assertThat(Ecvrf.prove(secretKey, alpha)).as(inputs).isEqualTo(proof);

        for (int bit : bits) {
            byte[] tampered = proof.clone();
            tampered[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(Ecvrf.verify(publicKey, tampered, alpha))
                    .as("%s, bit %d", inputs, bit)
                    .isEmpty();
        }
    }
}
