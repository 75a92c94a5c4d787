package dev.gatehouse.proof.merkle;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.proof.internal.Sha256;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only Merkle log with the tree hashing of RFC 9162 (leaf = SHA-256(0x00‖d), node =
 * SHA-256(0x01‖left‖right)): the root at any past size, and inclusion and consistency proofs that
 * anyone can check with the static verifiers.
 */
public final class MerkleLog {

    /*
     * Design: the log keeps, for every level k, the hashes of all complete, aligned subtrees of 2^k
     * leaves (level 0 holds the leaf hashes). Appending a leaf adds it to level 0 and, while the new
     * entry completes a pair, the pair's parent one level up: amortised two hashes per leaf, and 2n
     * stored hashes in total.
     *
     * Any subtree that RFC 9162 asks for, MTH(D[a:b]) at an old or current size, starts at an offset
     * aligned to a power of two; it is either stored (complete and aligned) or splits into a stored
     * left part and a shorter right part, so computing it takes O(log n) hashes. A proof touches
     * O(log n) subtrees of which at most one is ragged, so proofs cost O(log n) hashes: no rebuilding.
     *
     * The hashes sit in fixed-size pages of one byte array each, not one object per hash, so a million
     * leaves cost 64 MB of hashes and growing never copies old pages. Methods are synchronised: one
     * writer and any number of provers may share a log; the static verifiers need no log at all.
     *
     * The log counts the hashes it computes (hashesComputed), so tests can check the O(log n) cost of
     * roots and proofs by counting rather than by timing.
     */

    /** The longest proof any verifier accepts; a tree of 2^63 − 1 leaves needs at most 64 hashes. */
    public static final int MAX_PROOF_HASHES = 64;

    /** The length of every hash in a root or proof. */
    public static final int HASH_BYTES = HashColumn.HASH_BYTES;

    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;

    private final List<HashColumn> levels = new ArrayList<>();
    private final MessageDigest digest = Sha256.newDigest();
    private long size;
    private long hashesComputed;

    /** An empty log. */
    public MerkleLog() {
        levels.add(new HashColumn());
    }

    /** Appends a leaf and returns its index (0-based). */
    public synchronized long append(byte[] leafData) {
        long index = size;
        byte[] hash = leafHash(digest, leafData);
        hashesComputed++;
        levels.get(0).add(hash);
        long position = index;
        int level = 0;
        while ((position & 1) == 1) {
            byte[] left = new byte[HASH_BYTES];
            levels.get(level).get(position - 1, left);
            hash = nodeHash(digest, left, hash);
            hashesComputed++;
            level++;
            position >>>= 1;
            if (levels.size() == level) {
                levels.add(new HashColumn());
            }
            levels.get(level).add(hash);
        }
        size = index + 1;
        return index;
    }

    /** The number of leaves. */
    public synchronized long size() {
        return size;
    }

    /** The root at the current size. */
    public synchronized byte[] root() {
        return root(size);
    }

    /** The root the log had when it held {@code size} leaves; the hash of the empty string for 0. */
    public synchronized byte[] root(long size) {
        Require.inRange("size", size, 0, this.size);
        if (size == 0) {
            hashesComputed++;
            return digest.digest();
        }
        return subtreeHash(0, size);
    }

    /**
     * The audit path of leaf {@code index} in the tree of the first {@code size} leaves (RFC 9162
     * §2.1.3.1), from the leaf's sibling up to the root's child.
     */
    public synchronized List<byte[]> inclusionProof(long index, long size) {
        Require.inRange("size", size, 1, this.size);
        Require.inRange("index", index, 0, size - 1);
        List<byte[]> proof = new ArrayList<>();
        auditPath(index, 0, size, proof);
        return proof;
    }

    /**
     * The proof that the tree of {@code oldSize} leaves is a prefix of the tree of {@code newSize}
     * (RFC 9162 §2.1.4.1); empty when {@code oldSize} is 0 or equals {@code newSize}.
     */
    public synchronized List<byte[]> consistencyProof(long oldSize, long newSize) {
        Require.inRange("newSize", newSize, 0, this.size);
        Require.inRange("oldSize", oldSize, 0, newSize);
        List<byte[]> proof = new ArrayList<>();
        if (oldSize > 0 && oldSize < newSize) {
            subproof(oldSize, 0, newSize, true, proof);
        }
        return proof;
    }

    /** The number of SHA-256 hashes this log has computed since it was made; package-private, for tests. */
    synchronized long hashesComputed() {
        return hashesComputed;
    }

    /**
     * Whether {@code proof} shows that {@code leafData} is leaf {@code index} of the tree of {@code
     * size} leaves with root {@code root} (RFC 9162 §2.1.3.2). Malformed input is simply not verified.
     */
    public static boolean verifyInclusion(byte[] leafData, long index, long size, List<byte[]> proof, byte[] root) {
        if (leafData == null || index < 0 || index >= size || !isHash(root) || !areHashes(proof)) {
            return false;
        }
        MessageDigest digest = Sha256.newDigest();
        long fn = index;
        long sn = size - 1;
        byte[] hash = leafHash(digest, leafData);
        for (byte[] sibling : proof) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                hash = nodeHash(digest, sibling, hash);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                hash = nodeHash(digest, hash, sibling);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(hash, root);
    }

    /**
     * Whether {@code proof} shows that the tree of {@code oldSize} leaves with root {@code oldRoot} is a
     * prefix of the tree of {@code newSize} leaves with root {@code newRoot} (RFC 9162 §2.1.4.2). Equal
     * sizes need an empty proof and equal roots; an old size of 0 needs an empty proof and the empty
     * root.
     */
    public static boolean verifyConsistency(
            long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
        if (oldSize < 0 || newSize < oldSize || !isHash(oldRoot) || !isHash(newRoot) || !areHashes(proof)) {
            return false;
        }
        if (oldSize == newSize) {
            return proof.isEmpty() && MessageDigest.isEqual(oldRoot, newRoot);
        }
        if (oldSize == 0) {
            return proof.isEmpty()
                    && MessageDigest.isEqual(oldRoot, Sha256.newDigest().digest());
        }
        if (proof.isEmpty()) {
            return false;
        }
        MessageDigest digest = Sha256.newDigest();
        List<byte[]> path = proof;
        if (Long.bitCount(oldSize) == 1) {
            path = new ArrayList<>(proof.size() + 1);
            path.add(oldRoot);
            path.addAll(proof);
        }
        long fn = oldSize - 1;
        long sn = newSize - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] oldHash = path.get(0);
        byte[] newHash = path.get(0);
        for (int i = 1; i < path.size(); i++) {
            byte[] sibling = path.get(i);
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                oldHash = nodeHash(digest, sibling, oldHash);
                newHash = nodeHash(digest, sibling, newHash);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                newHash = nodeHash(digest, newHash, sibling);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(oldHash, oldRoot) && MessageDigest.isEqual(newHash, newRoot);
    }

    /** PATH(m, D[start:start+n]) of RFC 9162, appended bottom-up. */
    private void auditPath(long m, long start, long n, List<byte[]> proof) {
        if (n == 1) {
            return;
        }
        long k = Long.highestOneBit(n - 1);
        if (m < k) {
            auditPath(m, start, k, proof);
            proof.add(subtreeHash(start + k, n - k));
        } else {
            auditPath(m - k, start + k, n - k, proof);
            proof.add(subtreeHash(start, k));
        }
    }

    /** SUBPROOF(m, D[start:start+n], b) of RFC 9162, appended bottom-up. */
    private void subproof(long m, long start, long n, boolean startsAtOldRoot, List<byte[]> proof) {
        if (m == n) {
            if (!startsAtOldRoot) {
                proof.add(subtreeHash(start, n));
            }
            return;
        }
        long k = Long.highestOneBit(n - 1);
        if (m <= k) {
            subproof(m, start, k, startsAtOldRoot, proof);
            proof.add(subtreeHash(start + k, n - k));
        } else {
            subproof(m - k, start + k, n - k, false, proof);
            proof.add(subtreeHash(start, k));
        }
    }

    /** MTH(D[start:start+count]) for count >= 1, from stored subtrees where they exist. */
    private byte[] subtreeHash(long start, long count) {
        if (Long.bitCount(count) == 1 && start % count == 0) {
            byte[] hash = new byte[HASH_BYTES];
            levels.get(Long.numberOfTrailingZeros(count)).get(start / count, hash);
            return hash;
        }
        long k = Long.highestOneBit(count - 1);
        byte[] left = subtreeHash(start, k);
        byte[] right = subtreeHash(start + k, count - k);
        hashesComputed++;
        return nodeHash(digest, left, right);
    }

    private static byte[] leafHash(MessageDigest digest, byte[] data) {
        digest.update(LEAF_PREFIX);
        digest.update(data);
        return digest.digest();
    }

    private static byte[] nodeHash(MessageDigest digest, byte[] left, byte[] right) {
        digest.update(NODE_PREFIX);
        digest.update(left);
        digest.update(right);
        return digest.digest();
    }

    private static boolean isHash(byte[] hash) {
        return hash != null && hash.length == HASH_BYTES;
    }

    private static boolean areHashes(List<byte[]> proof) {
        if (proof == null || proof.size() > MAX_PROOF_HASHES) {
            return false;
        }
        for (byte[] hash : proof) {
            if (!isHash(hash)) {
                return false;
            }
        }
        return true;
    }
}
