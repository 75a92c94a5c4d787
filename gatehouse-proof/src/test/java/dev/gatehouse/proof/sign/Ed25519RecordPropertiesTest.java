package dev.gatehouse.proof.sign;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class Ed25519RecordPropertiesTest {

    static LongStream seeds() {
        return RandomCases.seeds(100);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void anyFlippedBitOfMessageOrSignature_randomKeyAndMessage_failsVerification(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertAnyFlippedBitFails(
                RandomCases.bytes(random, 1, 200),
                RandomCases.intBetween(random, 0, 1_599),
                RandomCases.bytes(random, 32, 32));
    }

    @Test
    void anyFlippedBitOfMessageOrSignature_edgeKeysMessagesAndBits_failsVerification() {
        for (byte fill : new byte[] {0, -1}) {
            byte[] seed = new byte[32];
            Arrays.fill(seed, fill);
            for (int length : new int[] {1, 2, 199, 200}) {
                byte[] message = new byte[length];
                Arrays.fill(message, fill);
                // signature bits are 0..511, message bits follow
                for (int rawBit : new int[] {0, 1, 511, 512, 519, 1_598, 1_599}) {
                    assertAnyFlippedBitFails(message, rawBit, seed);
                }
            }
        }
    }

    private static void assertAnyFlippedBitFails(byte[] message, int rawBit, byte[] seed) {
        String inputs = "message %s, bit %d, seed %s"
                .formatted(
                        HexFormat.of().formatHex(message),
                        rawBit,
                        HexFormat.of().formatHex(seed));
        SigningKey key = SigningKey.fromSeed(seed);
        byte[] signature = key.sign(message);
        VerifyingKey verifier = key.verifyingKey();
        assertThat(verifier.verify(message, signature)).as(inputs).isTrue();

        int bit = rawBit % ((message.length + signature.length) * 8);
        byte[] badMessage = message.clone();
        byte[] badSignature = signature.clone();
        if (bit < signature.length * 8) {
            badSignature[bit / 8] ^= (byte) (1 << (bit % 8));
        } else {
            bit -= signature.length * 8;
            badMessage[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        assertThat(verifier.verify(badMessage, badSignature)).as(inputs).isFalse();
    }
}
