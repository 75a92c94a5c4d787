package dev.gatehouse.core.time;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A clock that an event loop reads once per batch of work, as nginx reads the time once per wake-up.
 * A thread that {@linkplain #join joined} keeps its first reading of a batch and answers it again
 * until the batch is over, or until it answered it {@value #READS_PER_READING} times; every other
 * thread reads the source each time.
 *
 * <p>The trade-off: on a joined thread a reading may be as old as the work done since it was taken in
 * the current batch (a batch is what an event loop does between two waits: the requests that arrived
 * together), and at most {@value #READS_PER_READING} readings old. Readings of one thread never
 * decrease; across threads they may (a kept reading trails a fresher one of another loop), so this
 * clock does not call itself monotonic and limiters clamp it ({@link NanoClock#monotonic}). For a token
 * bucket a late reading only delays refills: it may refuse a call an exact clock would admit, never the
 * other way round. A fixed or sliding window counts a decision in the window its reading falls in, so
 * for a loop with a late reading a window ends up to a batch late: around a boundary, up to the rest of
 * that batch's answers (fewer than {@value #READS_PER_READING}) count in the closing window where an
 * exact clock would count them in the new one.
 */
public final class BatchClock implements NanoClock {

    /** The most answers one reading gives before the source is read again, within one batch. */
    public static final int READS_PER_READING = 16;

    private final NanoClock source;

    @SuppressWarnings("ThreadLocalUsage") // one per clock: a thread keeps a reading of each clock it joined
    private final ThreadLocal<Batch> batches = new ThreadLocal<>();

    private BatchClock(NanoClock source) {
        this.source = source;
    }

    /** A clock answering {@code source}'s readings, kept for a batch on the threads that join it. */
    public static BatchClock over(NanoClock source) {
        return new BatchClock(Objects.requireNonNull(source, "source"));
    }

    /**
     * Makes the calling thread keep its readings for a batch: the first reading of a batch asks {@code
     * afterWork} to run the batch's end, which must happen on this thread once the work at hand is done
     * (an event loop's own executor: a task it is given while working runs after that work). Joining
     * again changes nothing.
     */
    public void join(Executor afterWork) {
        Objects.requireNonNull(afterWork, "afterWork");
        if (batches.get() == null) {
            batches.set(new Batch(source, afterWork));
        }
    }

    /** Whether the calling thread has joined. */
    public boolean joined() {
        return batches.get() != null;
    }

    @Override
    public long nowNanos() {
        Batch batch = batches.get();
        return batch == null ? source.nowNanos() : batch.now();
    }

    /** One joined thread's kept reading; used by that thread alone. */
    private static final class Batch implements Runnable {

        private final NanoClock source;
        private final Executor afterWork;
        private long reading;
        /** Answers given from {@code reading}; 0 when the batch is over (or none began). */
        private int answers;

        Batch(NanoClock source, Executor afterWork) {
            this.source = source;
            this.afterWork = afterWork;
        }

        long now() {
            if (answers != 0 && answers < READS_PER_READING) {
                answers++;
                return reading;
            }
            reading = source.nowNanos();
            if (answers == 0 && !endAfterWork()) {
                return reading; // no end can be scheduled (the loop is shutting down): keep nothing
            }
            answers = 1;
            return reading;
        }

        /** The batch's end. */
        @Override
        public void run() {
            answers = 0;
        }

        private boolean endAfterWork() {
            try {
                afterWork.execute(this);
                return true;
            } catch (RejectedExecutionException e) {
                return false;
            }
        }
    }
}
