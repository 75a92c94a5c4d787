package dev.gatehouse.proof.token;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Single-use admission tokens {@code b64url(nonce12).exp.b64url(subject).b64url(HMAC-SHA256)}: proof
 * that a visitor passed a gate (solved a challenge), spendable once, before second {@code exp}.
 *
 * <p>Verification never blocks the calling thread: shape, signature and expiry are checked at once,
 * and the verification completes when the {@link NonceStore} has answered. Every outcome, a store
 * that cannot answer included, is a verdict: the stage fails only on a bug.
 */
public interface AdmissionTokens {

    /** The longest subject, in UTF-8 bytes. */
    int MAX_SUBJECT_BYTES = 256;
    /** The longest token accepted, in characters; longer input is malformed without being parsed. */
    int MAX_TOKEN_CHARS = 512;

    /** A new token for {@code subject}, valid for the configured time to live. */
    String issue(String subject);

    /** Checks a token (shape, signature, expiry) and, when it is accepted, uses it up in the store. */
    CompletionStage<TokenVerification> verify(String token);

    /**
     * Tokens signed with {@code secrets} (verified against the current and previous secret), living
     * {@code ttl} (whole seconds, at least one), used up in {@code store}.
     */
    static AdmissionTokens create(Duration ttl, HmacSecrets secrets, NonceStore store, WallClock clock) {
        return new HmacAdmissionTokens(ttl, secrets, store, clock);
    }
}
