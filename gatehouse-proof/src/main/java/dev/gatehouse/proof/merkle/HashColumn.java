package dev.gatehouse.proof.merkle;

import java.util.ArrayList;
import java.util.List;

/** An append-only column of 32-byte hashes stored in fixed-size pages, so growth never copies old hashes. */
final class HashColumn {

    static final int HASH_BYTES = 32;
    private static final int PAGE_SHIFT = 12;
    private static final int HASHES_PER_PAGE = 1 << PAGE_SHIFT;
    private static final int PAGE_MASK = HASHES_PER_PAGE - 1;

    private final List<byte[]> pages = new ArrayList<>();
    private long size;

    long size() {
        return size;
    }

    void add(byte[] hash) {
        int slot = (int) (size & PAGE_MASK);
        if (slot == 0) {
            pages.add(new byte[HASHES_PER_PAGE * HASH_BYTES]);
        }
        System.arraycopy(hash, 0, pages.get(pages.size() - 1), slot * HASH_BYTES, HASH_BYTES);
        size++;
    }

    /** Copies hash {@code index} into {@code target}. */
    void get(long index, byte[] target) {
        byte[] page = pages.get((int) (index >>> PAGE_SHIFT));
        System.arraycopy(page, (int) (index & PAGE_MASK) * HASH_BYTES, target, 0, HASH_BYTES);
    }
}
