package dev.gatehouse.core.limit;

import dev.gatehouse.core.time.NanoClock;

/**
 * Readings of two threads as a limiter sees them: each thread's never decrease, but one may decide
 * on a reading older than the other's last update (it was paused between reading and deciding, or
 * kept its reading for a batch). Set the next reading by hand.
 */
final class OvertakenClock implements NanoClock {

    private long reading;

    void set(long nanos) {
        reading = nanos;
    }

    @Override
    public long nowNanos() {
        return reading;
    }

    @Override
    public boolean isMonotonic() {
        return true; // as each thread's readings are: so the limiter does not clamp them
    }
}
