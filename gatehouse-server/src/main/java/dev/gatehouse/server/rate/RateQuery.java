package dev.gatehouse.server.rate;

import dev.gatehouse.server.config.BooleanText;
import dev.gatehouse.server.config.ServerConfig;
import dev.gatehouse.server.http.HttpSurface;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;

/**
 * A call of {@code /rate/{key}} checked in gocc's order: either a {@link Request} to decide, or a
 * {@link Rejection} with its status and plain-text message.
 */
public sealed interface RateQuery {

    /** A valid call: the key, whether it may wait, and the overrides it asks for. */
    record Request(String key, boolean canWait, OptionalInt maxRequests, OptionalInt maxRequestsInQueue)
            implements RateQuery {}

    /** An invalid call, answered with {@code status} and {@code message} before anything is decided. */
    record Rejection(int status, String message) implements RateQuery {}

    /** What clients are allowed to set, and the longest key. */
    record Permissions(boolean canSetRate, boolean canModQueue, int maxKeyBytes) {}

    /**
     * Checks a call for {@code key} with query parameters read by {@code param} (the first value of a
     * parameter, or null): empty key, key length, {@code canWait}, number syntax, permissions, then
     * bounds. An empty parameter counts as absent.
     */
    static RateQuery parse(String key, UnaryOperator<String> param, Permissions permissions) {
        if (key.isEmpty()) {
            return new Rejection(400, "empty key provided");
        }
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes > permissions.maxKeyBytes()) {
            return new Rejection(
                    400, "key too long: " + keyBytes + " bytes (expected: <= " + permissions.maxKeyBytes() + ")");
        }
        String canWaitText = present(param.apply("canWait"));
        Boolean canWait = canWaitText == null
                ? Boolean.FALSE
                : BooleanText.parse(canWaitText).orElse(null);
        if (canWait == null) {
            return new Rejection(
                    400, "invalid canWait: \"" + HttpSurface.shorten(canWaitText) + "\" (expected: true or false)");
        }
        String maxRequestsText = present(param.apply("maxRequests"));
        String maxInQueueText = present(param.apply("maxRequestsInQueue"));
        Long maxRequests = int32(maxRequestsText);
        if (maxRequestsText != null && maxRequests == null) {
            return notAnInteger("maxRequests", maxRequestsText);
        }
        Long maxInQueue = int32(maxInQueueText);
        if (maxInQueueText != null && maxInQueue == null) {
            return notAnInteger("maxRequestsInQueue", maxInQueueText);
        }
        if (maxRequests != null && !permissions.canSetRate()) {
            return new Rejection(403, "maxRequests query parameter is disabled");
        }
        if (maxInQueue != null && !permissions.canModQueue()) {
            return new Rejection(403, "maxRequestsInQueue query parameter is disabled");
        }
        if (maxRequests != null && (maxRequests < 1 || maxRequests > ServerConfig.MAX_LIMIT)) {
            return outOfBounds("maxRequests", maxRequests, 1);
        }
        if (maxInQueue != null && (maxInQueue < 0 || maxInQueue > ServerConfig.MAX_LIMIT)) {
            return outOfBounds("maxRequestsInQueue", maxInQueue, 0);
        }
        return new Request(
                key,
                canWait,
                maxRequests == null ? OptionalInt.empty() : OptionalInt.of(maxRequests.intValue()),
                maxInQueue == null ? OptionalInt.empty() : OptionalInt.of(maxInQueue.intValue()));
    }

    private static String present(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static Long int32(String text) {
        if (text == null) {
            return null;
        }
        try {
            return (long) Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Rejection notAnInteger(String name, String text) {
        return new Rejection(
                400, "invalid " + name + ": \"" + HttpSurface.shorten(text) + "\" (expected: a 32-bit integer)");
    }

    private static Rejection outOfBounds(String name, long value, int min) {
        return new Rejection(
                400,
                name + " out of bounds: " + value + " (expected: " + min + " <= " + name + " <= "
                        + ServerConfig.MAX_LIMIT + ")");
    }
}
