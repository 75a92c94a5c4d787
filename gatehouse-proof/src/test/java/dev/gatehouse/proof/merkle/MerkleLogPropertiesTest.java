package dev.gatehouse.proof.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MerkleLogPropertiesTest {

    static LongStream seeds() {
        return RandomCases.seeds(200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void inclusionProof_randomLeafOfRandomLog_verifiesAndAnyFlippedBitFails(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int size = RandomCases.intBetween(random, 1, 300);
        List<byte[]> leaves = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            leaves.add(RandomCases.bytes(random, 0, 255));
        }
        int index = RandomCases.intBetween(random, 0, 299) % size;
        assertInclusionProofHolds(leaves, index, RandomCases.intBetween(random, 0, 255));
    }

    @Test
    void inclusionProof_edgeSizesIndexesAndBits_verifiesAndAnyFlippedBitFails() {
        for (int size : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 299, 300}) {
            List<byte[]> leaves = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                leaves.add(new byte[] {(byte) i, (byte) (i >>> 8)});
            }
            for (int index : new int[] {0, 1, size / 2, size - 2, size - 1}) {
                if (index < 0 || index >= size) {
                    continue;
                }
                for (int rawBit : new int[] {0, 7, 8, 255}) {
                    assertInclusionProofHolds(leaves, index, rawBit);
                }
            }
        }
    }

    private static void assertInclusionProofHolds(List<byte[]> leaves, int index, int rawBit) {
        String inputs = "leaf %d of %d, bit %d".formatted(index, leaves.size(), rawBit);
        MerkleLog log = new MerkleLog();
        leaves.forEach(log::append);
        List<byte[]> proof = log.inclusionProof(index, leaves.size());
        byte[] root = log.root();

        assertThat(MerkleLog.verifyInclusion(leaves.get(index), index, leaves.size(), proof, root))
                .as(inputs)
                .isTrue();
        if (!proof.isEmpty()) {
            assertThat(MerkleLog.verifyInclusion(
                            leaves.get(index), index, leaves.size(), withFlippedBit(proof, rawBit), root))
                    .as(inputs)
                    .isFalse();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void consistencyProof_randomPrefix_verifiesAndAnyFlippedBitFails(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int newSize = RandomCases.intBetween(random, 1, 2_000);
        int oldSize = 1 + (RandomCases.intBetween(random, 1, 2_000) - 1) % newSize;
        assertConsistencyProofHolds(oldSize, newSize, RandomCases.intBetween(random, 0, 255));
    }

    @Test
    void consistencyProof_edgeSizesAndBits_verifiesAndAnyFlippedBitFails() {
        for (int newSize : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 1_023, 1_024, 1_025, 1_999, 2_000}) {
            for (int oldSize : new int[] {1, 2, newSize / 2, newSize - 1, newSize}) {
                if (oldSize < 1 || oldSize > newSize) {
                    continue;
                }
                for (int rawBit : new int[] {0, 255}) {
                    assertConsistencyProofHolds(oldSize, newSize, rawBit);
                }
            }
        }
    }

    private static void assertConsistencyProofHolds(int oldSize, int newSize, int rawBit) {
        String inputs = "sizes %d to %d, bit %d".formatted(oldSize, newSize, rawBit);
        MerkleLog log = new MerkleLog();
        for (int i = 0; i < newSize; i++) {
            log.append(new byte[] {(byte) i, (byte) (i >>> 8)});
        }
        List<byte[]> proof = log.consistencyProof(oldSize, newSize);

        assertThat(MerkleLog.verifyConsistency(oldSize, newSize, log.root(oldSize), log.root(), proof))
                .as(inputs)
                .isTrue();
        if (!proof.isEmpty()) {
            assertThat(MerkleLog.verifyConsistency(
                            oldSize, newSize, log.root(oldSize), log.root(), withFlippedBit(proof, rawBit)))
                    .as(inputs)
                    .isFalse();
        }
    }

    /** A copy of {@code proof} with bit {@code rawBit} (0..255) flipped in one of its hashes. */
    private static List<byte[]> withFlippedBit(List<byte[]> proof, int rawBit) {
        List<byte[]> tampered = new ArrayList<>(proof);
        int element = rawBit % proof.size();
        byte[] hash = proof.get(element).clone();
        hash[rawBit / 8] ^= (byte) (1 << (rawBit % 8));
        tampered.set(element, hash);
        return tampered;
    }
}
