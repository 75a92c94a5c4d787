package dev.gatehouse.http.settings;

import java.util.Optional;

/**
 * Booleans as gocc reads them (Go's {@code strconv.ParseBool}): {@code 1 t T TRUE true True} and
 * {@code 0 f F FALSE false False}. Used for flags, environment variables and query parameters alike.
 */
public final class BooleanText {

    private BooleanText() {}

    /** The boolean {@code text} spells, or empty when it spells none. */
    public static Optional<Boolean> parse(String text) {
        return switch (text) {
            case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(Boolean.TRUE);
            case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(Boolean.FALSE);
            default -> Optional.empty();
        };
    }
}
