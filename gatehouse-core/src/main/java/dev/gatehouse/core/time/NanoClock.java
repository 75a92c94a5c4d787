package dev.gatehouse.core.time;

/**
 * A source of time in nanoseconds, read as a primitive {@code long}. Only differences between two
 * readings are meaningful; the origin is arbitrary.
 */
@FunctionalInterface
public interface NanoClock {

    /** The current reading in nanoseconds. */
    long nowNanos();

    /**
     * Whether readings never decrease. Limiters wrap clocks that do not promise this in {@link
     * #monotonic(NanoClock)}.
     */
    default boolean isMonotonic() {
        return false;
    }

    /** {@link System#nanoTime()}: monotonic and the right choice outside tests. */
    static NanoClock system() {
        return SystemNanoClock.INSTANCE;
    }

    /**
     * A clock that never steps backwards: a reading lower than the highest one seen so far is
     * replaced by that highest one. Returns {@code clock} itself when it is already monotonic.
     */
    static NanoClock monotonic(NanoClock clock) {
        return clock.isMonotonic() ? clock : new ClampedClock(clock);
    }
}
