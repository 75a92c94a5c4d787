package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An amount (bytes, most often) shared by many takers and never passed: each takes what it needs
 * before it holds it and gives it back when done; a take that would pass the bound is refused, so a
 * flood of takers meets the bound rather than the heap. Safe from any thread.
 */
public final class Budget {

    private final long max;
    private final AtomicLong held = new AtomicLong();

    /** A budget of {@code max}, none of it taken. */
    public Budget(long max) {
        this.max = Require.atLeast("max", max, 1);
    }

    /** {@code fraction} of the heap's most (as {@link Runtime#maxMemory()} says), in bytes. */
    public static Budget ofHeap(double fraction) {
        Require.inRange("fraction", fraction, 0.0, 1.0);
        return new Budget(Math.max(1, (long) (Runtime.getRuntime().maxMemory() * fraction)));
    }

    /** Takes {@code amount}, unless that would pass the bound; whether it did. */
    public boolean take(long amount) {
        long now;
        do {
            now = held.get();
            if (now + amount > max) {
                return false;
            }
        } while (!held.compareAndSet(now, now + amount));
        return true;
    }

    /** Gives {@code amount} back. */
    public void give(long amount) {
        held.addAndGet(-amount);
    }

    /** What is taken now. */
    public long held() {
        return held.get();
    }

    /** The bound. */
    public long max() {
        return max;
    }
}
