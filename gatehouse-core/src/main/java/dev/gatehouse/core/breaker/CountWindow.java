package dev.gatehouse.core.breaker;

import java.util.concurrent.atomic.LongAdder;

/** The outcomes of the last N calls: a striped call counter, and the call numbers of recent failures and slow calls. */
final class CountWindow extends OutcomeWindow {

    /*
     * Design: calls are numbered by a LongAdder, which threads increment on their own cells, so a
     * success writes no shared cache line. A failure or a slow call also records its number in a ring
     * (under a lock: this is the rare path, and a breaker trips before failures could make it
     * common). The window is the last N numbers: a recorded number at or below calls - N has aged
     * out, and since that bound only rises, rings drop such numbers from their head for good.
     *
     * Trade-off: under concurrency two calls may read the same number and a failure may be recorded
     * a call or two out of order, which moves its ageing by as much; a window of N calls does not
     * notice. Single-threaded, the window is exact.
     */

    private final int size;
    private final LongAdder calls = new LongAdder();
    private final CallNumbers failed;
    private final CallNumbers slow;

    CountWindow(int size) {
        this.size = size;
        this.failed = new CallNumbers(size);
        this.slow = new CallNumbers(size);
    }

    @Override
    void record(boolean failure, boolean slowCall, long nowNanos) {
        calls.increment();
        if (failure || slowCall) {
            long number = calls.sum();
            if (failure) {
                failed.add(number);
            }
            if (slowCall) {
                slow.add(number);
            }
        }
    }

    @Override
    int calls(long nowNanos) {
        return (int) Math.min(calls.sum(), size);
    }

    @Override
    int failures(long nowNanos) {
        return failed.countAfter(calls.sum() - size);
    }

    @Override
    int slowCalls(long nowNanos) {
        return slow.countAfter(calls.sum() - size);
    }

    /** The call numbers of recent marked calls, oldest first, in a ring that grows up to the window size. */
    private static final class CallNumbers {
        private final int capacity;
        private long[] ring = new long[16];
        private int head;
        private int count;

        CallNumbers(int capacity) {
            this.capacity = capacity;
        }

        synchronized void add(long number) {
            if (count == capacity) {
                head = (head + 1) % ring.length;
                count--;
            } else if (count == ring.length) {
                grow();
            }
            ring[(head + count) % ring.length] = number;
            count++;
        }

        /** Drops the numbers at or below {@code floor} (aged out for good) and counts the rest. */
        synchronized int countAfter(long floor) {
            while (count > 0 && ring[head] <= floor) {
                head = (head + 1) % ring.length;
                count--;
            }
            return count;
        }

        private void grow() {
            long[] larger = new long[(int) Math.min(capacity, 2L * ring.length)];
            for (int i = 0; i < count; i++) {
                larger[i] = ring[(head + i) % ring.length];
            }
            ring = larger;
            head = 0;
        }
    }
}
