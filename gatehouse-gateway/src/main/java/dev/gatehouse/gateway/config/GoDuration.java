package dev.gatehouse.gateway.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;

/**
 * Durations as Go's {@code time.ParseDuration} reads them, the syntax of Wicket's file: a sign, then
 * one or more decimal numbers each with a unit ({@code 300ms}, {@code -1.5h}, {@code 2h45m}), units
 * {@code ns us µs ms s m h}; {@code 0} alone is zero. Fractions below a nanosecond are dropped, as Go
 * drops them.
 */
public final class GoDuration {

    private static final Map<String, Long> UNIT_NANOS = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "\u00b5s", 1_000L, // micro sign
            "\u03bcs", 1_000L, // Greek mu
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);

    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);

    private GoDuration() {}

    /** The duration {@code text} spells; throws {@link IllegalArgumentException} saying what is wrong. */
    public static Duration parse(String text) {
        int i = 0;
        boolean negative = false;
        if (!text.isEmpty() && (text.charAt(0) == '-' || text.charAt(0) == '+')) {
            negative = text.charAt(0) == '-';
            i = 1;
        }
        if (text.substring(i).equals("0")) {
            return Duration.ZERO;
        }
        if (i == text.length()) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" is not a duration (expected: a number and a unit," + " as 500ms, 2s or 1m30s)");
        }
        BigDecimal total = BigDecimal.ZERO;
        while (i < text.length()) {
            int numberStart = i;
            boolean digits = false;
            while (i < text.length() && isDigit(text.charAt(i))) {
                i++;
                digits = true;
            }
            if (i < text.length() && text.charAt(i) == '.') {
                i++;
                while (i < text.length() && isDigit(text.charAt(i))) {
                    i++;
                    digits = true;
                }
            }
            if (!digits) {
                throw new IllegalArgumentException("\"" + text + "\" is not a duration (expected: a number before"
                        + " each unit, as 500ms, 2s or 1m30s)");
            }
            BigDecimal number = new BigDecimal(text.substring(numberStart, i)); // "5." and ".5" as Go
            int unitStart = i;
            while (i < text.length() && !isDigit(text.charAt(i)) && text.charAt(i) != '.') {
                i++;
            }
            String unit = text.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw new IllegalArgumentException("\"" + text + "\" is not a duration: a unit is missing (expected:"
                        + " ns, us, ms, s, m or h, as 500ms, 2s or 1m30s)");
            }
            Long nanos = UNIT_NANOS.get(unit);
            if (nanos == null) {
                throw new IllegalArgumentException("\"" + text + "\" is not a duration: unknown unit \"" + unit
                        + "\" (expected: ns, us, ms, s, m or h)");
            }
            total = total.add(number.multiply(BigDecimal.valueOf(nanos)));
            if (total.toBigInteger().compareTo(MAX_NANOS) > 0) {
                throw new IllegalArgumentException("\"" + text + "\" is too long a duration (at most 2562047h)");
            }
        }
        long nanos = total.toBigInteger().longValueExact();
        return Duration.ofNanos(negative ? -nanos : nanos);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
