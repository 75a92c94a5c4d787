package dev.gatehouse.proof.merkle;

import static dev.gatehouse.proof.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class MerkleLogTest {

    private static final JsonNode VECTORS = Vectors.load("merkle-rfc9162.json");

    private static List<byte[]> vectorLeaves() {
        List<byte[]> leaves = new ArrayList<>();
        VECTORS.get("leaves").forEach(leaf -> leaves.add(hex(leaf.asText())));
        return leaves;
    }

    private static MerkleLog logOf(List<byte[]> leaves) {
        MerkleLog log = new MerkleLog();
        leaves.forEach(log::append);
        return log;
    }

    private static List<byte[]> hashes(JsonNode array) {
        List<byte[]> hashes = new ArrayList<>();
        array.forEach(node -> hashes.add(hex(node.asText())));
        return hashes;
    }

    private static List<String> asHex(List<byte[]> hashes) {
        return hashes.stream().map(Vectors::hex).toList();
    }

    private static List<byte[]> numberedLeaves(int count) {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            leaves.add(numberedLeaf(i));
        }
        return leaves;
    }

    @Test
    void root_everySizeOfTheVectors_matchesPublishedRoots() {
        List<byte[]> leaves = vectorLeaves();
        MerkleLog growing = new MerkleLog();
        assertThat(hex(growing.root())).isEqualTo(VECTORS.get("roots").get("0").asText());
        for (int size = 1; size <= leaves.size(); size++) {
            growing.append(leaves.get(size - 1));
            assertThat(hex(growing.root()))
                    .isEqualTo(VECTORS.get("roots").get(Integer.toString(size)).asText());
        }
        for (int size = 0; size <= leaves.size(); size++) {
            assertThat(hex(growing.root(size)))
                    .isEqualTo(VECTORS.get("roots").get(Integer.toString(size)).asText());
        }
    }

    @Test
    void inclusionProof_vectors_matchAndVerify() {
        List<byte[]> leaves = vectorLeaves();
        MerkleLog log = logOf(leaves);
        for (JsonNode vector : VECTORS.get("inclusion")) {
            int index = vector.get("index").asInt();
            int size = vector.get("size").asInt();
            List<byte[]> expected = hashes(vector.get("path"));

            List<byte[]> proof = log.inclusionProof(index, size);

            assertThat(asHex(proof)).isEqualTo(asHex(expected));
            assertThat(MerkleLog.verifyInclusion(leaves.get(index), index, size, expected, log.root(size)))
                    .isTrue();
        }
    }

    @Test
    void consistencyProof_vectors_matchAndVerify() {
        MerkleLog log = logOf(vectorLeaves());
        for (JsonNode vector : VECTORS.get("consistency")) {
            int oldSize = vector.get("old_size").asInt();
            int newSize = vector.get("new_size").asInt();
            List<byte[]> expected = hashes(vector.get("proof"));

            List<byte[]> proof = log.consistencyProof(oldSize, newSize);

            assertThat(asHex(proof)).isEqualTo(asHex(expected));
            assertThat(MerkleLog.verifyConsistency(oldSize, newSize, log.root(oldSize), log.root(newSize), expected))
                    .isTrue();
        }
    }

    @Test
    void inclusionProof_everyIndexAndSizeUpTo70_equalsTheLiteralRfcAlgorithmAndVerifies() {
        List<byte[]> leaves = numberedLeaves(70);
        MerkleLog log = logOf(leaves);
        ReferenceTree reference = new ReferenceTree(leaves);
        for (int size = 1; size <= 70; size++) {
            byte[] root = log.root(size);
            assertThat(hex(root)).isEqualTo(hex(reference.mth(0, size)));
            for (int index = 0; index < size; index++) {
                List<byte[]> proof = log.inclusionProof(index, size);
                assertThat(asHex(proof)).isEqualTo(asHex(reference.path(index, 0, size)));
                assertThat(MerkleLog.verifyInclusion(leaves.get(index), index, size, proof, root))
                        .isTrue();
            }
        }
    }

    @Test
    void consistencyProof_everyPairOfSizesUpTo70_equalsTheLiteralRfcAlgorithmAndVerifies() {
        List<byte[]> leaves = numberedLeaves(70);
        MerkleLog log = logOf(leaves);
        ReferenceTree reference = new ReferenceTree(leaves);
        for (int newSize = 1; newSize <= 70; newSize++) {
            for (int oldSize = 1; oldSize < newSize; oldSize++) {
                List<byte[]> proof = log.consistencyProof(oldSize, newSize);
                assertThat(asHex(proof)).isEqualTo(asHex(reference.consistency(oldSize, newSize)));
                assertThat(MerkleLog.verifyConsistency(oldSize, newSize, log.root(oldSize), log.root(newSize), proof))
                        .isTrue();
            }
        }
    }

    @Test
    void verifyInclusion_tamperedTruncatedExtendedOrSwapped_fails() {
        List<byte[]> leaves = numberedLeaves(13);
        MerkleLog log = logOf(leaves);
        byte[] root = log.root();
        for (int index = 0; index < 13; index++) {
            List<byte[]> proof = log.inclusionProof(index, 13);
            byte[] leaf = leaves.get(index);
            for (List<byte[]> bad : mutations(proof)) {
                assertThat(MerkleLog.verifyInclusion(leaf, index, 13, bad, root))
                        .isFalse();
            }
            if (index < 12) {
                assertThat(MerkleLog.verifyInclusion(leaf, index, 12, proof, log.root(12)))
                        .isFalse();
            }
            assertThat(MerkleLog.verifyInclusion(leaf, (index + 1) % 13, 13, proof, root))
                    .isFalse();
            assertThat(MerkleLog.verifyInclusion(leaves.get((index + 1) % 13), index, 13, proof, root))
                    .isFalse();
            assertThat(MerkleLog.verifyInclusion(leaf, index, 13, proof, log.root(12)))
                    .isFalse();
        }
    }

    @Test
    void verifyConsistency_tamperedTruncatedExtendedOrSwapped_fails() {
        MerkleLog log = logOf(numberedLeaves(21));
        for (int oldSize = 1; oldSize < 21; oldSize++) {
            List<byte[]> proof = log.consistencyProof(oldSize, 21);
            byte[] oldRoot = log.root(oldSize);
            byte[] newRoot = log.root();
            for (List<byte[]> bad : mutations(proof)) {
                assertThat(MerkleLog.verifyConsistency(oldSize, 21, oldRoot, newRoot, bad))
                        .isFalse();
            }
            assertThat(MerkleLog.verifyConsistency(oldSize, 21, newRoot, newRoot, proof))
                    .isFalse();
            assertThat(MerkleLog.verifyConsistency(oldSize, 21, oldRoot, oldRoot, proof))
                    .isFalse();
            assertThat(MerkleLog.verifyConsistency(oldSize, 20, oldRoot, log.root(20), proof))
                    .isFalse();
        }
    }

    @Test
    void verifyConsistency_edgeSizes_followTheEmptyProofRules() {
        MerkleLog log = logOf(numberedLeaves(5));
        byte[] root = log.root();
        byte[] emptyRoot = log.root(0);

        assertThat(MerkleLog.verifyConsistency(5, 5, root, root, List.of())).isTrue();
        assertThat(MerkleLog.verifyConsistency(5, 5, root, log.root(4), List.of()))
                .isFalse();
        assertThat(MerkleLog.verifyConsistency(5, 5, root, root, List.of(root))).isFalse();
        assertThat(MerkleLog.verifyConsistency(0, 5, emptyRoot, root, List.of()))
                .isTrue();
        assertThat(MerkleLog.verifyConsistency(0, 5, root, root, List.of())).isFalse();
        assertThat(MerkleLog.verifyConsistency(3, 5, log.root(3), root, List.of()))
                .isFalse();
        assertThat(MerkleLog.verifyConsistency(5, 3, root, log.root(3), List.of()))
                .isFalse();
        assertThat(log.consistencyProof(0, 5)).isEmpty();
        assertThat(log.consistencyProof(5, 5)).isEmpty();
    }

    @Test
    void verifiers_malformedInput_failWithoutThrowing() {
        MerkleLog log = logOf(numberedLeaves(4));
        byte[] root = log.root();
        List<byte[]> proof = log.inclusionProof(1, 4);
        List<byte[]> withNull = new ArrayList<>(proof);
        withNull.set(0, null);
        List<byte[]> tooLong = Collections.nCopies(MerkleLog.MAX_PROOF_HASHES + 1, root);

        assertThat(MerkleLog.verifyInclusion(null, 1, 4, proof, root)).isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], 1, 4, null, root)).isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], 1, 4, proof, null)).isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], 1, 4, withNull, root)).isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], 1, 4, proof, new byte[31]))
                .isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], -1, 4, proof, root)).isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], 4, 4, proof, root)).isFalse();
        assertThat(MerkleLog.verifyInclusion(new byte[4], 1, Long.MAX_VALUE, tooLong, root))
                .isFalse();
        assertThat(MerkleLog.verifyConsistency(-1, 4, root, root, List.of())).isFalse();
        assertThat(MerkleLog.verifyConsistency(2, 4, root, root, null)).isFalse();
        assertThat(MerkleLog.verifyConsistency(2, 4, root, null, log.consistencyProof(2, 4)))
                .isFalse();
        assertThat(MerkleLog.verifyConsistency(2, Long.MAX_VALUE, root, root, tooLong))
                .isFalse();
    }

    @Test
    void proofsAndRoots_outsideTheLog_areProgrammerErrors() {
        MerkleLog log = logOf(numberedLeaves(3));

        assertThatThrownBy(() -> log.root(4)).hasMessage("size: 4 (expected: 0 <= size <= 3)");
        assertThatThrownBy(() -> log.inclusionProof(3, 3)).hasMessage("index: 3 (expected: 0 <= index <= 2)");
        assertThatThrownBy(() -> log.inclusionProof(0, 4)).hasMessage("size: 4 (expected: 1 <= size <= 3)");
        assertThatThrownBy(() -> log.consistencyProof(2, 1)).hasMessage("oldSize: 2 (expected: 0 <= oldSize <= 1)");
    }

    @Test
    void append_returnsTheIndexAndGrowsTheSize() {
        MerkleLog log = new MerkleLog();

        assertThat(log.append(new byte[0])).isZero();
        assertThat(log.append(new byte[] {1})).isEqualTo(1);
        assertThat(log.size()).isEqualTo(2);
    }

    @Test
    void millionLeaves_rootsAndProofs_costLogarithmicallyManyHashes() {
        int count = 1 << 20;
        MerkleLog log = new MerkleLog();
        for (int i = 0; i < count; i++) {
            log.append(numberedLeaf(i));
        }
        assertThat(log.hashesComputed()).isEqualTo(2L * count - 1); // n leaf hashes, n − 1 node hashes

        for (long size : new long[] {count, count - 1, 777_777, 524_289, 3}) {
            int logSize = ceilLog2(size);
            Counted<byte[]> root = counted(log, () -> log.root(size));
            assertThat(root.hashes()).as("root(%d)", size).isLessThanOrEqualTo(logSize);
            for (long index : new long[] {0, 1, 524_287, 777_776, size - 1}) {
                if (index >= size) {
                    continue;
                }
                Counted<List<byte[]>> inclusion = counted(log, () -> log.inclusionProof(index, size));
                assertThat(inclusion.value()).hasSize(rfcPathLength(index, size));
                assertThat(inclusion.value().size()).isLessThanOrEqualTo(logSize);
                assertThat(inclusion.hashes())
                        .as("inclusionProof(%d, %d)", index, size)
                        .isLessThanOrEqualTo(logSize);
                assertThat(MerkleLog.verifyInclusion(numberedLeaf(index), index, size, inclusion.value(), root.value()))
                        .isTrue();

                long oldSize = index + 1;
                Counted<List<byte[]>> consistency = counted(log, () -> log.consistencyProof(oldSize, size));
                assertThat(consistency.value()).hasSize(rfcSubproofLength(oldSize, size, true));
                assertThat(consistency.value().size()).isLessThanOrEqualTo(logSize + 1);
                assertThat(consistency.hashes())
                        .as("consistencyProof(%d, %d)", oldSize, size)
                        .isLessThanOrEqualTo(logSize);
                assertThat(MerkleLog.verifyConsistency(
                                oldSize, size, log.root(oldSize), root.value(), consistency.value()))
                        .isTrue();
            }
        }
    }

    /** A value and the number of hashes the log computed to produce it. */
    private record Counted<T>(T value, long hashes) {}

    private static <T> Counted<T> counted(MerkleLog log, Supplier<T> action) {
        long before = log.hashesComputed();
        T value = action.get();
        return new Counted<>(value, log.hashesComputed() - before);
    }

    private static byte[] numberedLeaf(long i) {
        return ByteBuffer.allocate(4).putInt(Math.toIntExact(i)).array();
    }

    private static int ceilLog2(long n) {
        return 64 - Long.numberOfLeadingZeros(n - 1);
    }

    /** The length of PATH(m, D[n]) by RFC 9162 §2.1.3.1's recursion, without hashing anything. */
    private static int rfcPathLength(long m, long n) {
        if (n <= 1) {
            return 0;
        }
        long k = Long.highestOneBit(n - 1);
        return 1 + (m < k ? rfcPathLength(m, k) : rfcPathLength(m - k, n - k));
    }

    /** The length of SUBPROOF(m, D[n], b) by RFC 9162 §2.1.4.1's recursion, without hashing anything. */
    private static int rfcSubproofLength(long m, long n, boolean startsAtOldRoot) {
        if (m == n) {
            return startsAtOldRoot ? 0 : 1;
        }
        long k = Long.highestOneBit(n - 1);
        return 1 + (m <= k ? rfcSubproofLength(m, k, startsAtOldRoot) : rfcSubproofLength(m - k, n - k, false));
    }

    /** Every single-byte flip, every truncation, one extension at either end, and every swap of neighbours. */
    static List<List<byte[]>> mutations(List<byte[]> proof) {
        List<List<byte[]>> result = new ArrayList<>();
        for (int i = 0; i < proof.size(); i++) {
            for (int b = 0; b < MerkleLog.HASH_BYTES; b++) {
                List<byte[]> copy = new ArrayList<>(proof);
                byte[] hash = proof.get(i).clone();
                hash[b] ^= 1;
                copy.set(i, hash);
                result.add(copy);
            }
        }
        for (int length = 0; length < proof.size(); length++) {
            result.add(proof.subList(0, length));
            result.add(proof.subList(proof.size() - length, proof.size()));
        }
        List<byte[]> extendedEnd = new ArrayList<>(proof);
        extendedEnd.add(new byte[MerkleLog.HASH_BYTES]);
        result.add(extendedEnd);
        List<byte[]> extendedStart = new ArrayList<>(proof);
        extendedStart.add(0, new byte[MerkleLog.HASH_BYTES]);
        result.add(extendedStart);
        for (int i = 0; i + 1 < proof.size(); i++) {
            if (!java.util.Arrays.equals(proof.get(i), proof.get(i + 1))) {
                List<byte[]> swapped = new ArrayList<>(proof);
                Collections.swap(swapped, i, i + 1);
                result.add(swapped);
            }
        }
        return result;
    }
}
