package dev.gatehouse.proof.token;

import java.util.Optional;

/**
 * The verdict on a token and, once its signature checks out, what it says.
 *
 * @param verdict accepted, or why not
 * @param subject whom the token was issued to; empty unless the signature is valid
 * @param expiresAtSeconds the token's expiry (epoch seconds); 0 unless the signature is valid
 */
public record TokenVerification(TokenVerdict verdict, Optional<String> subject, long expiresAtSeconds) {

    static TokenVerification rejected(TokenVerdict verdict) {
        return new TokenVerification(verdict, Optional.empty(), 0);
    }

    /** Whether the token was accepted. */
    public boolean accepted() {
        return verdict.accepted();
    }
}
