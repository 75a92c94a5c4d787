package dev.gatehouse.core.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** The outcomes of the last T nanoseconds, in B buckets of T/B each. */
final class TimeWindow extends OutcomeWindow {

    /*
     * Design: bucket i holds the period p (p = now / bucketNanos, i = p mod B) it was last reset for,
     * a call count, and failures and slow calls packed in one word (32 bits each). A recorder that
     * finds a bucket of an older period resets it: the thread that wins the CAS on the period zeroes
     * the counts. Sums take the buckets whose period lies in the last B periods.
     *
     * Trade-off: a recorder that read the period just before another thread reset the bucket can add
     * its call to the fresh period, and a call can be added just before a reset and lost. Both are a
     * call or two at a bucket boundary, which a ratio over a window does not notice; in return the
     * record path is lock-free and allocation-free.
     */

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long FAILURE = 1L << 32;
    private static final long LOW_MASK = 0xFFFF_FFFFL;

    private final long bucketNanos;
    private final long[] periods;
    private final long[] calls;
    private final long[] failuresAndSlow;

    TimeWindow(long windowNanos, int buckets) {
        this.bucketNanos = windowNanos / buckets;
        this.periods = new long[buckets];
        this.calls = new long[buckets];
        this.failuresAndSlow = new long[buckets];
        java.util.Arrays.fill(periods, Long.MIN_VALUE);
    }

    @Override
    void record(boolean failure, boolean slowCall, long nowNanos) {
        long period = Math.floorDiv(nowNanos, bucketNanos);
        int bucket = (int) Math.floorMod(period, (long) periods.length);
        long seen = (long) LONGS.getVolatile(periods, bucket);
        if (seen < period && LONGS.compareAndSet(periods, bucket, seen, period)) {
            LONGS.setVolatile(calls, bucket, 0L);
            LONGS.setVolatile(failuresAndSlow, bucket, 0L);
        }
        LONGS.getAndAdd(calls, bucket, 1L);
        long marks = (failure ? FAILURE : 0) | (slowCall ? 1 : 0);
        if (marks != 0) {
            LONGS.getAndAdd(failuresAndSlow, bucket, marks);
        }
    }

    @Override
    int calls(long nowNanos) {
        return (int) Math.min(Integer.MAX_VALUE, sum(calls, nowNanos, -1, 0));
    }

    @Override
    int failures(long nowNanos) {
        return (int) sum(failuresAndSlow, nowNanos, LOW_MASK, 32);
    }

    @Override
    int slowCalls(long nowNanos) {
        return (int) sum(failuresAndSlow, nowNanos, LOW_MASK, 0);
    }

    private long sum(long[] counts, long nowNanos, long mask, int shift) {
        long current = Math.floorDiv(nowNanos, bucketNanos);
        long oldest = current - periods.length + 1;
        long total = 0;
        for (int i = 0; i < periods.length; i++) {
            long period = (long) LONGS.getVolatile(periods, i);
            if (period >= oldest && period <= current) {
                total += ((long) LONGS.getVolatile(counts, i) >>> shift) & mask;
            }
        }
        return Math.min(total, Integer.MAX_VALUE);
    }
}
