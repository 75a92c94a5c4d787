package dev.gatehouse.core.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/** The outcomes of the last N calls, as two bitsets (failed, slow) over a ring of N slots. */
final class CountWindow extends OutcomeWindow {

    /*
     * Design: each call takes the next slot of a cursor that wraps at N (a CAS, so no division on the
     * hot path). The slot's bits are set or cleared atomically, and counts are popcounts over the
     * bitsets, taken only when a failure or a slow call must be judged. A success into a slot whose
     * bits are already clear writes nothing more, so the common path is one CAS. The counts are
     * always those of some set of N recent calls; there is no running total that could drift.
     */

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int size;
    private final long[] failed;
    private final long[] slow;
    private final AtomicInteger cursor = new AtomicInteger();
    private volatile boolean wrapped;

    CountWindow(int size) {
        this.size = size;
        this.failed = new long[(size + 63) >>> 6];
        this.slow = new long[failed.length];
    }

    @Override
    void record(boolean failure, boolean slowCall, long nowNanos) {
        int slot = nextSlot();
        mark(failed, slot, failure);
        mark(slow, slot, slowCall);
    }

    @Override
    int calls(long nowNanos) {
        return wrapped ? size : cursor.get();
    }

    private int nextSlot() {
        for (; ; ) {
            int slot = cursor.get();
            int next = slot + 1 == size ? 0 : slot + 1;
            if (cursor.compareAndSet(slot, next)) {
                if (next == 0 && !wrapped) {
                    wrapped = true;
                }
                return slot;
            }
        }
    }

    @Override
    int failures(long nowNanos) {
        return count(failed);
    }

    @Override
    int slowCalls(long nowNanos) {
        return count(slow);
    }

    private static void mark(long[] bits, int slot, boolean set) {
        int word = slot >>> 6;
        long mask = 1L << slot;
        boolean isSet = ((long) WORDS.getOpaque(bits, word) & mask) != 0;
        if (set && !isSet) {
            WORDS.getAndBitwiseOr(bits, word, mask);
        } else if (!set && isSet) {
            WORDS.getAndBitwiseAnd(bits, word, ~mask);
        }
    }

    private static int count(long[] bits) {
        int total = 0;
        for (int i = 0; i < bits.length; i++) {
            total += Long.bitCount((long) WORDS.getOpaque(bits, i));
        }
        return total;
    }
}
