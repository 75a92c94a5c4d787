package dev.gatehouse.proof.token;

import static dev.gatehouse.testing.Stages.failure;
import static dev.gatehouse.testing.Stages.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.RandomCases;
import dev.gatehouse.testing.nonce.HeldNonceStore;
import dev.gatehouse.testing.nonce.ThrowingNonceStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionStage;
import java.util.stream.LongStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AdmissionTokensTest {

    private static final byte[] SECRET = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long START_SECONDS = 1_700_000_000L;

    private final ManualClock clock = new ManualClock(START_SECONDS * 1_000_000_000L);
    private final NonceStore store = NonceStore.inMemory(clock, clock, 1_000);
    private final AdmissionTokens tokens = tokens(HmacSecrets.of(SECRET));

    private AdmissionTokens tokens(HmacSecrets secrets) {
        return AdmissionTokens.create(Duration.ofSeconds(60), secrets, store, clock);
    }

    @Test
    void verify_wallClockStepsForwardThenBack_tokenIsNotAcceptedTwice() {
        ManualClock monotonic = new ManualClock();
        NonceStore steppingStore = NonceStore.inMemory(clock, monotonic, 1_000);
        AdmissionTokens steppingTokens =
                AdmissionTokens.create(Duration.ofMinutes(10), HmacSecrets.of(SECRET), steppingStore, clock);
        String token = steppingTokens.issue("visitor");
        assertThat(now(steppingTokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);

        clock.setNanos(clock.nowNanos() + Duration.ofDays(1).toNanos()); // the wall clock steps forward
        for (int i = 0; i < 2; i++) { // ids used meanwhile purge what looks expired
            now(steppingStore.putIfAbsent("other-" + i, clock.epochMillis() + 60_000));
        }
        clock.setNanos(clock.nowNanos() - Duration.ofDays(1).toNanos()); // and back

        assertThat(now(steppingTokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.REPLAYED);
    }

    @Test
    void issue_followsTheWireFormat_macOverTheFirstThreeParts() throws Exception {
        String token = tokens.issue("visitor-7");
        String[] parts = token.split("\\.", -1);

        assertThat(parts).hasSize(4);
        assertThat(Base64.getUrlDecoder().decode(parts[0])).hasSize(12);
        assertThat(parts[1]).isEqualTo(Long.toString(START_SECONDS + 60));
        assertThat(new String(Base64.getUrlDecoder().decode(parts[2]), StandardCharsets.UTF_8))
                .isEqualTo("visitor-7");
        assertThat(token).doesNotContain("=");
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1] + "." + parts[2]).getBytes(StandardCharsets.US_ASCII));
        assertThat(parts[3]).isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(expected));
    }

    @Test
    void verify_freshToken_isAcceptedOnceThenReplayed() {
        String token = tokens.issue("visitor-7");

        TokenVerification first = now(tokens.verify(token));
        assertThat(first.outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
        assertThat(first.subject()).contains("visitor-7");
        assertThat(first.expiresAtSeconds()).isEqualTo(START_SECONDS + 60);
        assertThat(now(tokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.REPLAYED);
    }

    @Test
    void verify_expiredFromSecondExpOn() {
        String lastMoment = tokens.issue("a");
        String tooLate = tokens.issue("b");

        clock.setNanos((START_SECONDS + 60) * 1_000_000_000L - 1);
        assertThat(now(tokens.verify(lastMoment)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
        clock.setNanos((START_SECONDS + 60) * 1_000_000_000L);
        assertThat(now(tokens.verify(tooLate)).outcome()).isEqualTo(TokenVerification.Outcome.EXPIRED);
    }

    @Test
    void verify_replayedAMillisecondBeforeExp_isStillReplayed() {
        String token = tokens.issue("a");
        assertThat(now(tokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);

        clock.setNanos((START_SECONDS + 60) * 1_000_000_000L - 1_000_000);

        assertThat(now(tokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.REPLAYED);
    }

    @Test
    void verify_storeFull_isUnavailableAndUsesNothingUp() {
        AdmissionTokens small = AdmissionTokens.create(
                Duration.ofSeconds(60), HmacSecrets.of(SECRET), NonceStore.inMemory(clock, clock, 1), clock);
        String first = small.issue("a");
        String second = small.issue("b");
        assertThat(now(small.verify(first)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);

        assertThat(now(small.verify(second)).outcome()).isEqualTo(TokenVerification.Outcome.UNAVAILABLE);
    }

    @Test
    void verify_neverWaitsForTheStore_theVerificationCompletesWhenItAnswers() {
        HeldNonceStore held = new HeldNonceStore();
        AdmissionTokens tokens = AdmissionTokens.create(Duration.ofSeconds(60), HmacSecrets.of(SECRET), held, clock);
        String token = tokens.issue("visitor");

        CompletionStage<TokenVerification> verification = tokens.verify(token);
        assertThat(verification.toCompletableFuture()).isNotDone();
        HeldNonceStore.Call put = held.next();
        assertThat(put.id()).isEqualTo("tok:" + token.substring(0, token.indexOf('.')));
        assertThat(put.expiresAtMillis()).isEqualTo((START_SECONDS + 60) * 1_000L);
        put.answer(true);

        assertThat(now(verification).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
        assertThat(now(verification).subject()).contains("visitor");
        assertThat(now(tokens.verify("not a token")).outcome()).isEqualTo(TokenVerification.Outcome.MALFORMED);
    }

    @Test
    void verify_storeFailsTheStage_isUnavailable_notAnException() {
        HeldNonceStore held = new HeldNonceStore();
        AdmissionTokens tokens = AdmissionTokens.create(Duration.ofSeconds(60), HmacSecrets.of(SECRET), held, clock);
        String token = tokens.issue("visitor");

        CompletionStage<TokenVerification> verification = tokens.verify(token);
        held.next().fail(new NonceStoreUnavailableException("timed out"));

        assertThat(now(verification).outcome()).isEqualTo(TokenVerification.Outcome.UNAVAILABLE);
        assertThat(now(verification).subject()).contains("visitor");
    }

    @Test
    void verify_storeThrowsUnavailable_isUnavailable_andABugFailsTheStage() {
        NonceStore throwing =
                new ThrowingNonceStore(() -> new NonceStoreUnavailableException("thrown, against the contract"));
        AdmissionTokens throwingTokens =
                AdmissionTokens.create(Duration.ofSeconds(60), HmacSecrets.of(SECRET), throwing, clock);
        assertThat(now(throwingTokens.verify(throwingTokens.issue("a"))).outcome())
                .isEqualTo(TokenVerification.Outcome.UNAVAILABLE);

        HeldNonceStore held = new HeldNonceStore();
        AdmissionTokens heldTokens =
                AdmissionTokens.create(Duration.ofSeconds(60), HmacSecrets.of(SECRET), held, clock);
        CompletionStage<TokenVerification> verification = heldTokens.verify(heldTokens.issue("b"));
        held.next().fail(new IllegalStateException("a bug in the store"));
        assertThat(failure(verification)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void verify_malformedTokens_areMalformed() {
        String token = tokens.issue("s");
        String[] parts = token.split("\\.", -1);
        List<String> malformed = List.of(
                "",
                "a.b.c",
                token + ".x",
                parts[0] + "." + parts[1] + "." + parts[2],
                "AAAA." + parts[1] + "." + parts[2] + "." + parts[3],
                parts[0] + ".-5." + parts[2] + "." + parts[3],
                parts[0] + ".0" + parts[1] + "." + parts[2] + "." + parts[3],
                parts[0] + ".+1." + parts[2] + "." + parts[3],
                parts[0] + "." + "9".repeat(40) + "." + parts[2] + "." + parts[3],
                parts[0] + "=." + parts[1] + "." + parts[2] + "." + parts[3],
                parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3] + "==",
                parts[0] + "." + parts[1] + "." + parts[2] + "!." + parts[3],
                parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3].substring(1),
                "x".repeat(AdmissionTokens.MAX_TOKEN_CHARS + 1));
        for (String bad : malformed) {
            assertThat(now(tokens.verify(bad)).outcome()).as(bad).isEqualTo(TokenVerification.Outcome.MALFORMED);
        }
        assertThat(now(tokens.verify(null)).outcome()).isEqualTo(TokenVerification.Outcome.MALFORMED);
        assertThat(now(tokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
    }

    @Test
    void verify_nonCanonicalRespelling_isRejected() {
        String token = tokens.issue("s");
        String[] parts = token.split("\\.", -1);
        // 12 nonce bytes use all 16 characters' bits; 32 MAC bytes leave 2 unused bits in the last one
        char last = parts[3].charAt(parts[3].length() - 1);
        char respelled = (char) (last == 'A' ? 'B' : last + 1);
        String twin = parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3].substring(0, parts[3].length() - 1)
                + respelled;

        assertThat(now(tokens.verify(twin)).outcome())
                .isIn(TokenVerification.Outcome.MALFORMED, TokenVerification.Outcome.BAD_SIGNATURE);
        assertThat(now(tokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
    }

    @Test
    void verify_alteredFieldsOrForeignSecret_isBadSignature() {
        String token = tokens.issue("alice");
        String[] parts = token.split("\\.", -1);
        String otherSubject = Base64.getUrlEncoder().withoutPadding().encodeToString("mallory".getBytes());
        AdmissionTokens stranger = tokens(HmacSecrets.of("another secret 16b".getBytes(StandardCharsets.US_ASCII)));

        assertThat(now(tokens.verify(parts[0] + "." + parts[1] + "." + otherSubject + "." + parts[3]))
                        .outcome())
                .isEqualTo(TokenVerification.Outcome.BAD_SIGNATURE);
        assertThat(now(tokens.verify(parts[0] + "." + (START_SECONDS + 6000) + "." + parts[2] + "." + parts[3]))
                        .outcome())
                .isEqualTo(TokenVerification.Outcome.BAD_SIGNATURE);
        assertThat(now(stranger.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.BAD_SIGNATURE);
        assertThat(now(tokens.verify(token)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
    }

    @Test
    void keyRotation_verifiesAgainstCurrentAndPrevious() {
        byte[] next = "fedcba9876543210".getBytes(StandardCharsets.US_ASCII);
        String old = tokens.issue("a");
        AdmissionTokens rotating = tokens(HmacSecrets.of(next, SECRET));
        String fresh = rotating.issue("b");

        assertThat(now(tokens(HmacSecrets.of(next)).verify(old)).outcome())
                .isEqualTo(TokenVerification.Outcome.BAD_SIGNATURE);
        assertThat(now(rotating.verify(old)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
        assertThat(now(tokens.verify(fresh)).outcome()).isEqualTo(TokenVerification.Outcome.BAD_SIGNATURE);
        assertThat(now(rotating.verify(fresh)).outcome()).isEqualTo(TokenVerification.Outcome.ACCEPTED);
    }

    @Test
    void subjects_emptyAndUnicodeAndLongest_roundTrip() {
        for (String subject : List.of("", "zoë ✓", "x".repeat(AdmissionTokens.MAX_SUBJECT_BYTES))) {
            assertThat(now(tokens.verify(tokens.issue(subject))).subject()).contains(subject);
        }
        assertThatThrownBy(() -> tokens.issue("x".repeat(AdmissionTokens.MAX_SUBJECT_BYTES + 1)))
                .hasMessage("subjectBytes: 257 (expected: 0 <= subjectBytes <= 256)");
    }

    @Test
    void create_rejectsShortSecretsAndTtls() {
        assertThatThrownBy(() -> HmacSecrets.of(new byte[16], new byte[8]))
                .hasMessage("previous: 8 bytes (expected: >= 16 bytes)");
        assertThatThrownBy(() -> AdmissionTokens.create(Duration.ofMillis(999), HmacSecrets.of(SECRET), store, clock))
                .hasMessage("ttl: PT0.999S (expected: >= PT1S)");
    }

    @Test
    void sameTokenFromManyThreads_isAcceptedExactlyOnce() throws InterruptedException {
        for (int round = 0; round < 10; round++) {
            String token = tokens.issue("race");
            assertThat(Race.countTrue(32, () -> now(tokens.verify(token)).accepted()))
                    .isEqualTo(1);
        }
    }

    static LongStream seeds() {
        return RandomCases.seeds(300);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void verify_tokenWithARandomCharacterReplaced_isNotAccepted(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertTamperingFails(RandomCases.intBetween(random, 0, 200), (char) RandomCases.intBetween(random, 1, 127));
    }

    @Test
    void verify_tokenWithAnyCharacterReplacedByAnEdgeCharacter_isNotAccepted() {
        int length = propertyIssuer().issue("property subject").length();
        for (int index = 0; index < length; index++) {
            for (char replacement : new char[] {1, 2, '+', '-', '.', '/', '0', '=', 'A', '_', 'z', 126, 127}) {
                assertTamperingFails(index, replacement);
            }
        }
    }

    private static AdmissionTokens propertyIssuer() {
        ManualClock propertyClock = new ManualClock(START_SECONDS * 1_000_000_000L);
        return AdmissionTokens.create(
                Duration.ofSeconds(60),
                HmacSecrets.of(SECRET),
                NonceStore.inMemory(propertyClock, propertyClock, 10),
                propertyClock);
    }

    private static void assertTamperingFails(int rawIndex, char replacement) {
        AdmissionTokens issuer = propertyIssuer();
        String token = issuer.issue("property subject");
        int index = rawIndex % token.length();
        if (token.charAt(index) == replacement) {
            return;
        }
        String tampered = token.substring(0, index) + replacement + token.substring(index + 1);

        assertThat(now(issuer.verify(tampered)).accepted())
                .as("tampered %s", tampered)
                .isFalse();
        assertThat(now(issuer.verify(token)).accepted())
                .as("original %s", token)
                .isTrue();
    }
}
