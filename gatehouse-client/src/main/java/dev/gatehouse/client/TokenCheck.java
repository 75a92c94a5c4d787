package dev.gatehouse.client;

import java.time.Instant;
import java.util.Optional;

/**
 * What {@link OfflineTokenVerifier#verify} made of a queue token: {@link Accepted} with the user and
 * the token's expiry, or {@link Refused} with why.
 *
 * <pre>{@code
 * switch (verifier.verify(jwt)) {
 *     case TokenCheck.Accepted accepted -> serve(accepted.userId());
 *     case TokenCheck.Refused refused -> sendBackToTheQueue(refused.message());
 * }
 * }</pre>
 */
public sealed interface TokenCheck permits TokenCheck.Accepted, TokenCheck.Refused {

    /** Whether the token was accepted. */
    default boolean accepted() {
        return this instanceof Accepted;
    }

    /**
     * An authentic token of the expected room, not expired: its user ({@code sub}), {@code exp}, and,
     * for a pass the room gave a ready user (the {@code rdy} claim) whose ready time has not passed
     * (no leeway there), until when the user is ready.
     */
    record Accepted(String userId, Instant expiresAt, Optional<Instant> readyUntil) implements TokenCheck {

        /**
         * Whether the token is a ready user's pass: the room made the user ready, and its ready time has
         * not run out (the pass expires with it). A finish since then is not seen offline.
         */
        public boolean ready() {
            return readyUntil.isPresent();
        }
    }

    /** A token that was not accepted: why, and a message for logs (never the token). */
    record Refused(Reason reason, String message) implements TokenCheck {}

    /** Why a token was refused. */
    enum Reason {
        /** Not a compact JWS of the room's shape: segments, base64url, JSON, a claim missing or of another type, too long. */
        MALFORMED,
        /** Its {@code alg} is not {@code EdDSA} ({@code HS256}, {@code none}, …), or it asks for critical extensions. */
        ALGORITHM,
        /** Its {@code kid} is not among the room's keys, even after fetching them again (or recently fetched). */
        UNKNOWN_KEY,
        /** Its {@code kid} is not known and the room's keys could not be fetched; the message says why. */
        KEYS_UNAVAILABLE,
        /** The signature does not check under the key its {@code kid} names. */
        BAD_SIGNATURE,
        /** Authentic, but another room's ({@code tid}). */
        WRONG_TENANT,
        /** Authentic and this room's, but past its {@code exp} by more than the leeway. */
        EXPIRED,
        /** Authentic and this room's, but its {@code nbf} is ahead by more than the leeway. */
        NOT_YET_VALID
    }
}
