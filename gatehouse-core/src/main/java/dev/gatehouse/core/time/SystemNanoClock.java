package dev.gatehouse.core.time;

/** The JVM's monotonic clock, {@link System#nanoTime()}. */
enum SystemNanoClock implements NanoClock {
    INSTANCE;

    @Override
    public long nowNanos() {
        return System.nanoTime();
    }

    @Override
    public boolean isMonotonic() {
        return true;
    }
}
