package dev.gatehouse.rate.envoy;

import java.util.Locale;
import java.util.Optional;

/**
 * A limit's window, as {@code RateLimitResponse.RateLimit.Unit} numbers it: fixed windows aligned to
 * the Unix epoch (a month is 30 days, a year 365, a week starts on a Thursday, as envoyproxy/ratelimit
 * counts them).
 */
public enum Unit {
    SECOND(1, 1),
    MINUTE(2, 60),
    HOUR(3, 3_600),
    DAY(4, 86_400),
    MONTH(5, 2_592_000),
    YEAR(6, 31_536_000),
    WEEK(7, 604_800);

    private final int number;
    private final long seconds;

    Unit(int number, long seconds) {
        this.number = number;
        this.seconds = seconds;
    }

    /** The number on the wire. */
    public int number() {
        return number;
    }

    /** The window's length. */
    public long seconds() {
        return seconds;
    }

    /** The unit numbered {@code number} on the wire; empty for UNKNOWN (0) and numbers no unit has. */
    public static Optional<Unit> ofNumber(int number) {
        for (Unit unit : values()) {
            if (unit.number == number) {
                return Optional.of(unit);
            }
        }
        return Optional.empty();
    }

    /** The unit named {@code name} in a configuration file, in any case ({@code minute}, {@code MINUTE}). */
    static Optional<Unit> ofName(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
