package dev.gatehouse.proof.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class MerkleLogPropertiesTest {

    @Property(tries = 200)
    void inclusionProof_anyLeafOfAnyLog_verifiesAndAnyFlippedBitFails(
            @ForAll @Size(min = 1, max = 300) List<byte[]> leaves,
            @ForAll @IntRange(min = 0, max = 299) int rawIndex,
            @ForAll @IntRange(min = 0, max = 255) int rawBit) {
        MerkleLog log = new MerkleLog();
        leaves.forEach(log::append);
        int index = rawIndex % leaves.size();
        List<byte[]> proof = log.inclusionProof(index, leaves.size());
        byte[] root = log.root();

        assertThat(MerkleLog.verifyInclusion(leaves.get(index), index, leaves.size(), proof, root))
                .isTrue();
        if (!proof.isEmpty()) {
            assertThat(MerkleLog.verifyInclusion(
                            leaves.get(index), index, leaves.size(), withFlippedBit(proof, rawBit), root))
                    .isFalse();
        }
    }

    @Property(tries = 200)
    void consistencyProof_anyPrefix_verifiesAndAnyFlippedBitFails(
            @ForAll @IntRange(min = 1, max = 2_000) int newSize,
            @ForAll @IntRange(min = 1, max = 2_000) int rawOldSize,
            @ForAll @IntRange(min = 0, max = 255) int rawBit) {
        MerkleLog log = new MerkleLog();
        for (int i = 0; i < newSize; i++) {
            log.append(new byte[] {(byte) i, (byte) (i >>> 8)});
        }
        int oldSize = 1 + (rawOldSize - 1) % newSize;
        List<byte[]> proof = log.consistencyProof(oldSize, newSize);

        assertThat(MerkleLog.verifyConsistency(oldSize, newSize, log.root(oldSize), log.root(), proof))
                .isTrue();
        if (!proof.isEmpty()) {
            assertThat(MerkleLog.verifyConsistency(
                            oldSize, newSize, log.root(oldSize), log.root(), withFlippedBit(proof, rawBit)))
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
