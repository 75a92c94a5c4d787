package dev.gatehouse.gateway;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.time.Duration;

/**
 * The cookie a browser earns by solving a challenge, and shows on every protected path until it
 * expires: {@code <expiry second>.<HMAC-SHA256>}, the MAC over the expiry and the client key it was
 * minted for, so a cookie copied to another client (another address, with the default identity) is
 * refused, and one past its life is refused. It is not single-use: it admits for its whole life, as
 * a session does. Keys are derived from the admission secret for this use alone (current and
 * previous, for rotation).
 */
final class AdmissionCookie {

    /** The cookie's name. */
    static final String NAME = "gatehouse_admission";

    /** The longest value read; anything longer is not a cookie of ours. */
    private static final int MAX_VALUE_CHARS = 80;

    private static final int MAX_EXPIRY_DIGITS = 15;

    private final CookieKeys keys;
    private final long ttlSeconds;
    private final WallClock clock;

    AdmissionCookie(HmacSecrets secrets, Duration ttl, WallClock clock) {
        this.keys = new CookieKeys(secrets, "gatehouse admission cookie v1");
        this.ttlSeconds = ttl.toSeconds();
        this.clock = clock;
    }

    /** How long a minted cookie lives, in seconds. */
    long ttlSeconds() {
        return ttlSeconds;
    }

    /** A new cookie value for {@code clientKey}, valid for the configured life. */
    String mint(String clientKey) {
        long expiry = Math.floorDiv(clock.epochMillis(), 1000) + ttlSeconds;
        return expiry + "." + keys.sign(Long.toString(expiry), clientKey);
    }

    /** Whether {@code value} is a live cookie minted for {@code clientKey} by this secret (or the previous one). */
    boolean valid(String value, String clientKey) {
        int dot = value.indexOf('.');
        if (value.length() > MAX_VALUE_CHARS || dot < 1 || dot > MAX_EXPIRY_DIGITS) {
            return false;
        }
        long expiry = 0;
        for (int i = 0; i < dot; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            expiry = expiry * 10 + (c - '0');
        }
        if (Math.floorDiv(clock.epochMillis(), 1000) >= expiry) {
            return false;
        }
        return keys.verify(value.substring(dot + 1), Long.toString(expiry), clientKey);
    }

    /**
     * The {@code Set-Cookie} value for {@code value}: {@code HttpOnly}, {@code SameSite=Lax}, for the
     * whole site, living as long as the value, and {@code Secure} when the client came over TLS.
     */
    String header(String value, boolean secure) {
        return NAME + "=" + value + "; Path=/; Max-Age=" + ttlSeconds + "; HttpOnly; SameSite=Lax"
                + (secure ? "; Secure" : "");
    }
}
