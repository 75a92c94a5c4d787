package dev.gatehouse.proof.token;

import java.util.Optional;

/**
 * The outcome of presenting a token and, once its signature checks out, what it says.
 *
 * @param outcome accepted, or why not
 * @param subject whom the token was issued to; empty unless the signature is valid
 * @param expiresAtSeconds the token's expiry (epoch seconds); 0 unless the signature is valid
 */
public record TokenVerification(Outcome outcome, Optional<String> subject, long expiresAtSeconds) {

    /** The outcome of presenting an admission token; every rejection names its reason. */
    public enum Outcome {
        /** The token is genuine, live, and now used up. */
        ACCEPTED,
        /** Not a token: wrong shape, encoding or length. */
        MALFORMED,
        /** The signature matches neither the current nor the previous secret. */
        BAD_SIGNATURE,
        /** Its expiry second has come. */
        EXPIRED,
        /** It was used before. */
        REPLAYED,
        /** The single-use record cannot be reached or is full; the token was not used up. */
        UNAVAILABLE;

        /** Whether the token was accepted. */
        public boolean accepted() {
            return this == ACCEPTED;
        }
    }

    static TokenVerification rejected(Outcome outcome) {
        return new TokenVerification(outcome, Optional.empty(), 0);
    }

    /** Whether the token was accepted. */
    public boolean accepted() {
        return outcome.accepted();
    }
}
