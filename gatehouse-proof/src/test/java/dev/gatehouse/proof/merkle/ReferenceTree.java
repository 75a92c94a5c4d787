package dev.gatehouse.proof.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/** RFC 9162 §2.1 written out literally (recursion over the leaf list), to check the log against. */
final class ReferenceTree {

    private final List<byte[]> leaves;

    ReferenceTree(List<byte[]> leaves) {
        this.leaves = leaves;
    }

    byte[] mth(int from, int to) {
        int n = to - from;
        if (n == 0) {
            return sha256(new byte[0]);
        }
        if (n == 1) {
            return sha256(concat(new byte[] {0}, leaves.get(from)));
        }
        int k = Integer.highestOneBit(n - 1);
        return sha256(concat(new byte[] {1}, concat(mth(from, from + k), mth(from + k, to))));
    }

    List<byte[]> path(int m, int from, int to) {
        int n = to - from;
        List<byte[]> result = new ArrayList<>();
        if (n <= 1) {
            return result;
        }
        int k = Integer.highestOneBit(n - 1);
        if (m < k) {
            result.addAll(path(m, from, from + k));
            result.add(mth(from + k, to));
        } else {
            result.addAll(path(m - k, from + k, to));
            result.add(mth(from, from + k));
        }
        return result;
    }

    List<byte[]> consistency(int m, int n) {
        return subproof(m, 0, n, true);
    }

    private List<byte[]> subproof(int m, int from, int to, boolean b) {
        int n = to - from;
        List<byte[]> result = new ArrayList<>();
        if (m == n) {
            if (!b) {
                result.add(mth(from, to));
            }
            return result;
        }
        int k = Integer.highestOneBit(n - 1);
        if (m <= k) {
            result.addAll(subproof(m, from, from + k, b));
            result.add(mth(from + k, to));
        } else {
            result.addAll(subproof(m - k, from + k, to, false));
            result.add(mth(from, from + k));
        }
        return result;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
