package dev.gatehouse.core.time;

import java.util.concurrent.atomic.AtomicLong;

/** A clock that may step backwards (wall clock, NTP, a test clock), clamped to its high-water mark. */
final class ClampedClock implements NanoClock {
    private final NanoClock source;
    private final AtomicLong highWaterNanos;

    ClampedClock(NanoClock source) {
        this.source = source;
        this.highWaterNanos = new AtomicLong(source.nowNanos());
    }

    @Override
    public long nowNanos() {
        long now = source.nowNanos();
        for (; ; ) {
            long highest = highWaterNanos.get();
            if (now <= highest) {
                return highest;
            }
            if (highWaterNanos.compareAndSet(highest, now)) {
                return now;
            }
        }
    }

    @Override
    public boolean isMonotonic() {
        return true;
    }
}
