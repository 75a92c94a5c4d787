package dev.gatehouse.core.check;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Eager validation of configuration values, with one message format across Gatehouse: {@code
 * "maxRequests: 0 (expected: >= 1)"}. A failed check is a programmer or operator error and throws
 * {@link IllegalArgumentException}.
 */
public final class Require {

    private Require() {}

    /** Returns {@code value} if it is not null; {@code expected} says what should have been given. */
    public static <T> T given(String name, @Nullable T value, String expected) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": null (expected: " + expected + ")");
        }
        return value;
    }

    /** Returns {@code value} if it is at least {@code min}. */
    public static long atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
        }
        return value;
    }

    /** Returns {@code value} if it is at least {@code min}. */
    public static int atLeast(String name, int value, int min) {
        return (int) atLeast(name, (long) value, min);
    }

    /** Returns {@code value} if it lies in {@code [min, max]}. */
    public static long inRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + ": " + value + " (expected: " + min + " <= " + name + " <= " + max + ")");
        }
        return value;
    }

    /** Returns {@code value} if it lies in {@code [min, max]}. */
    public static int inRange(String name, int value, int min, int max) {
        return (int) inRange(name, (long) value, min, max);
    }

    /** Returns {@code value} if it lies in {@code [min, max]}. */
    public static double inRange(String name, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(
                    name + ": " + value + " (expected: " + min + " <= " + name + " <= " + max + ")");
        }
        return value;
    }

    /** Returns the duration in nanoseconds if it is at least {@code minNanos}; saturates very long ones. */
    public static long nanosAtLeast(String name, Duration value, long minNanos) {
        given(name, value, "a duration");
        long nanos = value.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : value.toNanos();
        if (value.isNegative() || nanos < minNanos) {
            throw new IllegalArgumentException(
                    name + ": " + value + " (expected: >= " + Duration.ofNanos(minNanos) + ")");
        }
        return nanos;
    }
}
