package dev.gatehouse.core.time;

/**
 * The time of day as milliseconds since the Unix epoch, read as a primitive {@code long}. For expiry
 * times that several processes must agree on (challenges, tokens); durations measured inside one
 * process use {@link NanoClock}.
 */
@FunctionalInterface
public interface WallClock {

    /** Milliseconds since 1970-01-01T00:00:00Z. */
    long epochMillis();

    /** {@link System#currentTimeMillis()}. */
    static WallClock system() {
        return System::currentTimeMillis;
    }
}
