package dev.gatehouse.proof.token;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Base64Url;
import dev.gatehouse.core.internal.HmacSha256;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.internal.SingleUse;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/** HMAC-SHA256 admission tokens, used up in a {@link NonceStore}. */
final class HmacAdmissionTokens implements AdmissionTokens {

    /*
     * Design: the MAC covers the ASCII text before the last dot, "nonce.exp.subject", under the raw
     * secret, so the token is checkable by anything that knows the format. Every part must be the
     * canonical unpadded base64url of its bytes and exp plain decimal digits: a token has exactly one
     * spelling, so a re-spelled copy can neither pass the MAC nor dodge the single-use record, which is
     * keyed by the nonce.
     *
     * verify checks shape, then the MAC (constant time, current then previous secret), then expiry
     * (expired when the current second >= exp), then uses the nonce up until exp; the store refuses a
     * nonce whose expiry has come, so a copy that passed the expiry check just before exp and reaches
     * the store after it is not accepted either. Parsing never throws on client input, and a store
     * that cannot answer gives UNAVAILABLE.
     *
     * verify never blocks: everything up to expiry runs on the calling thread, and the verification
     * completes when the store has answered. The two verdicts that carry no field are shared complete
     * stages.
     */

    private static final int NONCE_BYTES = 12;
    private static final int MAC_BYTES = 32;
    private static final int MAX_EXP_DIGITS = 15;
    private static final String STORE_PREFIX = "tok:";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final CompletionStage<TokenVerification> MALFORMED =
            CompletableFuture.completedStage(TokenVerification.rejected(TokenVerification.Outcome.MALFORMED));
    private static final CompletionStage<TokenVerification> BAD_SIGNATURE =
            CompletableFuture.completedStage(TokenVerification.rejected(TokenVerification.Outcome.BAD_SIGNATURE));

    private final long ttlSeconds;
    private final HmacSha256 currentKey;
    private final @Nullable HmacSha256 previousKey;
    private final NonceStore store;
    private final WallClock clock;

    HmacAdmissionTokens(Duration ttl, HmacSecrets secrets, NonceStore store, WallClock clock) {
        Require.given("secrets", secrets, "given");
        Require.given("store", store, "given");
        Require.given("clock", clock, "given");
        this.ttlSeconds = Require.nanosAtLeast("ttl", ttl, 1_000_000_000L) / 1_000_000_000L;
        Require.inRange("ttlSeconds", ttlSeconds, 1, 366L * 86_400);
        this.currentKey = new HmacSha256(secrets.current());
        this.previousKey = secrets.previous().map(HmacSha256::new).orElse(null);
        this.store = store;
        this.clock = clock;
    }

    @Override
    public String issue(String subject) {
        Require.given("subject", subject, "a string, possibly empty");
        byte[] subjectBytes = subject.getBytes(StandardCharsets.UTF_8);
        Require.inRange("subjectBytes", subjectBytes.length, 0, MAX_SUBJECT_BYTES);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        long expiresAtSeconds = Math.floorDiv(clock.epochMillis(), 1_000L) + ttlSeconds;
        String signed = Base64Url.encode(nonce) + '.' + expiresAtSeconds + '.' + Base64Url.encode(subjectBytes);
        return signed + '.' + Base64Url.encode(currentKey.mac(signed.getBytes(StandardCharsets.US_ASCII)));
    }

    @Override
    public CompletionStage<TokenVerification> verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_CHARS) {
            return MALFORMED;
        }
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        int third = second < 0 ? -1 : token.indexOf('.', second + 1);
        if (third < 0 || token.indexOf('.', third + 1) >= 0) {
            return MALFORMED;
        }
        String nonceText = token.substring(0, first);
        Optional<byte[]> nonce = Base64Url.decode(nonceText);
        long expiresAtSeconds = parseDecimal(token.substring(first + 1, second));
        Optional<byte[]> subject = Base64Url.decode(token.substring(second + 1, third));
        Optional<byte[]> mac = Base64Url.decode(token.substring(third + 1));
        if (nonce.isEmpty()
                || nonce.get().length != NONCE_BYTES
                || expiresAtSeconds < 0
                || subject.isEmpty()
                || subject.get().length > MAX_SUBJECT_BYTES
                || mac.isEmpty()
                || mac.get().length != MAC_BYTES) {
            return MALFORMED;
        }
        byte[] signed = token.substring(0, third).getBytes(StandardCharsets.US_ASCII);
        if (!currentKey.matches(signed, 0, signed.length, mac.get())
                && (previousKey == null || !previousKey.matches(signed, 0, signed.length, mac.get()))) {
            return BAD_SIGNATURE;
        }
        Optional<String> subjectText = utf8(subject.get());
        if (subjectText.isEmpty()) {
            return MALFORMED;
        }
        if (Math.floorDiv(clock.epochMillis(), 1_000L) >= expiresAtSeconds) {
            return CompletableFuture.completedStage(
                    new TokenVerification(TokenVerification.Outcome.EXPIRED, subjectText, expiresAtSeconds));
        }
        long expiresAtMillis = expiresAtSeconds * 1_000L;
        return SingleUse.consume(store, STORE_PREFIX + nonceText, expiresAtMillis)
                .handle((firstUse, error) -> {
                    TokenVerification.Outcome verdict;
                    if (error != null) {
                        if (!SingleUse.isUnavailable(error)) {
                            throw SingleUse.propagate(error); // a bug, not an answer
                        }
                        verdict = TokenVerification.Outcome.UNAVAILABLE;
                    } else if (firstUse) {
                        verdict = TokenVerification.Outcome.ACCEPTED;
                    } else {
                        verdict = clock.epochMillis() >= expiresAtMillis
                                ? TokenVerification.Outcome.EXPIRED
                                : TokenVerification.Outcome.REPLAYED;
                    }
                    return new TokenVerification(verdict, subjectText, expiresAtSeconds);
                });
    }

    /** Plain decimal digits (no sign, no leading zero unless "0"), or -1. */
    private static long parseDecimal(String text) {
        if (text.isEmpty() || text.length() > MAX_EXP_DIGITS || (text.length() > 1 && text.charAt(0) == '0')) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
