package dev.gatehouse.testing;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A clock that moves only when told to, and a scheduler whose tasks run when the clock passes their
 * time. For tests: time is virtual, nothing sleeps, and runs are reproducible.
 *
 * <p>As a {@link WallClock} its reading is taken as nanoseconds since the Unix epoch. The clock may
 * be set backwards, to test what the code that reads it does then; it does not promise monotonic
 * readings.
 */
public final class ManualClock implements NanoClock, WallClock, Scheduler {

    private final PriorityQueue<Pending> pending = new PriorityQueue<>();
    private long nowNanos;
    private long sequence;

    /** A clock reading {@code startNanos}. */
    public ManualClock(long startNanos) {
        this.nowNanos = startNanos;
    }

    /** A clock reading an arbitrary, non-zero origin (so code cannot rely on time starting at zero). */
    public ManualClock() {
        this(1_000_000_000_000L);
    }

    @Override
    public synchronized long nowNanos() {
        return nowNanos;
    }

    /** The reading, taken as nanoseconds since the Unix epoch, in whole milliseconds (rounded down). */
    @Override
    public long epochMillis() {
        return Math.floorDiv(nowNanos(), 1_000_000L);
    }

    /** Moves the clock forward by {@code nanos}, running each due task at its own time, in order. */
    public void advanceNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("nanos: " + nanos + " (expected: >= 0)");
        }
        long targetNanos;
        synchronized (this) {
            targetNanos = nowNanos + nanos;
        }
        for (; ; ) {
            Pending next;
            synchronized (this) {
                next = pending.peek();
                if (next == null || next.dueNanos > targetNanos) {
                    nowNanos = Math.max(nowNanos, targetNanos);
                    return;
                }
                pending.poll();
                nowNanos = Math.max(nowNanos, next.dueNanos);
            }
            next.task.run();
        }
    }

    /** Moves the clock forward by {@code duration}, running due tasks. */
    public void advance(Duration duration) {
        advanceNanos(duration.toNanos());
    }

    /** Sets the reading, backwards or forwards, without running any task. */
    public synchronized void setNanos(long nanos) {
        this.nowNanos = nanos;
    }

    /** How many tasks are scheduled and not yet run or cancelled. */
    public synchronized int pendingTasks() {
        return pending.size();
    }

    @Override
    public synchronized Task schedule(Runnable task, long delayNanos) {
        Pending entry = new Pending(nowNanos + Math.max(0, delayNanos), sequence++, task);
        pending.add(entry);
        return () -> {
            synchronized (ManualClock.this) {
                pending.remove(entry);
            }
        };
    }

    private record Pending(long dueNanos, long sequence, Runnable task) implements Comparable<Pending> {
        @Override
        public int compareTo(Pending other) {
            int byTime = Long.compare(dueNanos, other.dueNanos);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }
}
