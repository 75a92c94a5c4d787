package dev.gatehouse.server.rate;

import dev.gatehouse.http.PercentDecoding;
import dev.gatehouse.http.settings.BooleanText;
import dev.gatehouse.rate.ClientPermissions;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RateRequest;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * A call of {@code /rate/{key}} checked in gocc's order and answered in gocc's words: either a {@link
 * Valid} request to decide, or a {@link Rejection} with its status and plain-text message.
 */
public sealed interface RateQuery {

    /** gocc's value of {@code maxRequests} and {@code maxRequestsInQueue} that means "no override". */
    int NO_CHANGE = -1_000_000_000;

    /** A valid call: the key, whether it may wait, and the overrides it asks for. */
    record Valid(RateRequest request) implements RateQuery {}

    /** An invalid call, answered with {@code status} and {@code message} before anything is decided. */
    record Rejection(int status, String message) implements RateQuery {}

    /**
     * Checks a call for {@code key} (decoded, or null when its escapes or UTF-8 were malformed) with
     * {@code query} in gocc's order: empty key (after trimming), {@code canWait}, {@code maxRequests}'s
     * syntax then permission, {@code maxRequestsInQueue}'s syntax then permission, then the bounds of
     * each. Values are trimmed; an empty one, or gocc's {@link #NO_CHANGE}, counts as absent. Beyond
     * gocc, a key that is not UTF-8 or longer than allowed is refused.
     */
    static RateQuery parse(@Nullable String key, PercentDecoding.Query query, ClientPermissions permissions) {
        if (key == null) {
            return new Rejection(400, "malformed key: a bad percent-escape or not UTF-8");
        }
        String trimmed = GoText.trimSpace(key);
        if (trimmed.isEmpty()) {
            return new Rejection(400, "empty key provided");
        }
        int keyBytes = trimmed.getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes > permissions.maxKeyBytes()) {
            return new Rejection(
                    400, "key too long: " + keyBytes + " bytes (expected: <= " + permissions.maxKeyBytes() + ")");
        }
        Boolean canWait = Boolean.FALSE;
        String canWaitText = value(query, "canWait");
        if (query.malformed("canWait")) {
            canWait = null;
        } else if (canWaitText != null) {
            canWait = BooleanText.parse(canWaitText).orElse(null);
        }
        if (canWait == null) {
            return new Rejection(400, "failed to parse canWait query parameter");
        }
        long maxRequests = query.malformed("maxRequests") ? MALFORMED : int32(value(query, "maxRequests"));
        if (maxRequests == MALFORMED) {
            return new Rejection(400, "failed to parse maxRequests query parameter");
        }
        if (maxRequests != ABSENT && !permissions.canSetRate()) {
            return new Rejection(403, "maxRequests query parameter is disabled");
        }
        long maxInQueue = query.malformed("maxRequestsInQueue") ? MALFORMED : int32(value(query, "maxRequestsInQueue"));
        if (maxInQueue == MALFORMED) {
            return new Rejection(400, "failed to parse maxRequestsInQueue query parameter");
        }
        if (maxInQueue != ABSENT && !permissions.canModQueue()) {
            return new Rejection(403, "maxRequestsInQueue query parameter is disabled");
        }
        if (maxRequests != ABSENT && (maxRequests < 1 || maxRequests > RateLimits.MAX_LIMIT)) {
            return new Rejection(400, "maxRequests out of bounds");
        }
        if (maxInQueue != ABSENT && (maxInQueue < 0 || maxInQueue > RateLimits.MAX_LIMIT)) {
            return new Rejection(400, "maxRequestsInQueue out of bounds");
        }
        return new Valid(new RateRequest(
                trimmed,
                canWait,
                maxRequests == ABSENT ? OptionalInt.empty() : OptionalInt.of((int) maxRequests),
                maxInQueue == ABSENT ? OptionalInt.empty() : OptionalInt.of((int) maxInQueue)));
    }

    /** What {@link #int32} answers for an absent value (or {@link #NO_CHANGE}); outside the 32-bit range. */
    long ABSENT = Long.MAX_VALUE;

    /** What {@link #int32} answers for a value that is not a 32-bit decimal integer. */
    long MALFORMED = Long.MIN_VALUE;

    /** The trimmed first value of {@code name}, or null when absent, empty or undecodable. */
    private static @Nullable String value(PercentDecoding.Query query, String name) {
        String raw = query.first(name);
        if (raw == null) {
            return null;
        }
        String trimmed = GoText.trimSpace(raw);
        return trimmed.isEmpty() ? null : trimmed;
    }

    /**
     * {@code text} as Go's {@code strconv.ParseInt(text, 10, 32)} reads it (an optional sign, ASCII
     * digits): {@link #ABSENT} when null or {@link #NO_CHANGE}, {@link #MALFORMED} when it is not one.
     */
    private static long int32(@Nullable String text) {
        if (text == null) {
            return ABSENT;
        }
        boolean signed = text.charAt(0) == '+' || text.charAt(0) == '-';
        int start = signed ? 1 : 0;
        if (start == text.length()) {
            return MALFORMED;
        }
        int digits = start;
        while (digits < text.length() - 1 && text.charAt(digits) == '0') {
            digits++; // leading zeros, as many as Go takes: they do not count toward the length bound
        }
        if (text.length() - digits > 10) {
            return MALFORMED;
        }
        long value = 0;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return MALFORMED;
            }
            value = value * 10 + (c - '0');
        }
        if (text.charAt(0) == '-') {
            value = -value;
        }
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            return MALFORMED;
        }
        return value == NO_CHANGE ? ABSENT : value;
    }
}
