package dev.gatehouse.proof.pow;

import static dev.gatehouse.testing.Stages.failure;
import static dev.gatehouse.testing.Stages.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.nonce.HeldNonceStore;
import dev.gatehouse.testing.nonce.ThrowingNonceStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class Sha256ProofOfWorkTest {

    private static final HmacSecrets SECRETS = HmacSecrets.of(bytes("server secret number one"));
    private static final PowSpec SPEC = PowSpec.of(6, 14, Duration.ofMinutes(2));

    private final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
    private final NonceStore store = NonceStore.inMemory(clock, clock, 10_000);
    private final ProofOfWork pow = ProofOfWork.sha256(SPEC, SECRETS, store, clock);

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] solve(Challenge challenge) {
        return PowSolver.solve(challenge, 1L << 30).orElseThrow();
    }

    static byte[] wrongNonce(Challenge challenge) {
        for (int i = 0; ; i++) {
            byte[] nonce = {(byte) 0xee, (byte) i, (byte) (i >>> 8)};
            if (!PowSolver.isSolution(challenge, nonce)) {
                return nonce;
            }
        }
    }

    @Test
    void issue_difficultyFollowsLoad_roundingHalfUp() {
        assertThat(pow.issue(0).difficulty()).isEqualTo(6);
        assertThat(pow.issue(1).difficulty()).isEqualTo(14);
        assertThat(pow.issue(0.5).difficulty()).isEqualTo(10);
        assertThat(pow.issue(0.0625).difficulty()).isEqualTo(7); // 8 * 0.0625 = 0.5 rounds up
        assertThat(pow.issue(0.06).difficulty()).isEqualTo(6);
        assertThatThrownBy(() -> pow.issue(1.01)).hasMessage("load: 1.01 (expected: 0.0 <= load <= 1.0)");
        assertThatThrownBy(() -> pow.issue(Double.NaN)).hasMessage("load: NaN (expected: 0.0 <= load <= 1.0)");
    }

    @Test
    void issue_fillsTheWireFields() {
        Challenge challenge = pow.issue(0);

        assertThat(challenge.payload()).hasSize(ProofOfWork.PAYLOAD_BYTES);
        assertThat(challenge.payloadHex()).isEqualTo(HexFormat.of().formatHex(challenge.payload()));
        assertThat(challenge.expiresAtMillis()).isEqualTo(clock.epochMillis() + 120_000);
        assertThat(challenge.algorithm()).isEqualTo(new PowAlgorithm.Sha256());
        assertThat(challenge.id()).matches("[A-Za-z0-9_-]{56}");
        assertThat(pow.issue(0).id()).isNotEqualTo(challenge.id());
    }

    @Test
    void issue_writesNothingToTheStore() {
        NonceStore untouchable = new ThrowingNonceStore(() -> new IllegalStateException("issue used the store"));
        ProofOfWork issuer = ProofOfWork.sha256(SPEC, SECRETS, untouchable, clock);
        for (int i = 0; i < 1_000; i++) {
            issuer.issue(i / 1_000.0);
        }
    }

    @Test
    void verify_correctSolve_isAcceptedOnceThenReplayed() {
        Challenge challenge = pow.issue(0);
        byte[] nonce = solve(challenge);

        assertThat(sha256LeadingZeros(challenge.payload(), nonce)).isGreaterThanOrEqualTo(6);
        assertThat(now(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(now(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.REPLAYED);
        assertThat(now(pow.verifyHex(challenge.id(), HexFormat.of().formatHex(nonce))))
                .isEqualTo(PowVerdict.REPLAYED);
    }

    @Test
    void verify_wrongNonce_leavesTheChallengeSolvable() {
        Challenge challenge = pow.issue(0);

        assertThat(now(pow.verify(challenge.id(), wrongNonce(challenge)))).isEqualTo(PowVerdict.INSUFFICIENT_WORK);
        assertThat(now(pow.verify(challenge.id(), wrongNonce(challenge)))).isEqualTo(PowVerdict.INSUFFICIENT_WORK);
        assertThat(now(pow.verify(challenge.id(), solve(challenge)))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void verify_expiry_isExactToTheMillisecond() {
        Challenge early = pow.issue(0);
        Challenge late = pow.issue(0);
        byte[] earlyNonce = solve(early);
        byte[] lateNonce = solve(late);

        clock.setNanos(early.expiresAtMillis() * 1_000_000L - 1);
        assertThat(now(pow.verify(early.id(), earlyNonce))).isEqualTo(PowVerdict.ACCEPTED);
        clock.setNanos(late.expiresAtMillis() * 1_000_000L);
        assertThat(now(pow.verify(late.id(), lateNonce))).isEqualTo(PowVerdict.EXPIRED);
    }

    @Test
    void verify_idSignedWithAnotherSecret_isBadSignature() {
        ProofOfWork stranger = ProofOfWork.sha256(SPEC, HmacSecrets.of(bytes("someone else's secret")), store, clock);
        Challenge challenge = stranger.issue(0);

        assertThat(now(pow.verify(challenge.id(), solve(challenge)))).isEqualTo(PowVerdict.BAD_SIGNATURE);
    }

    @Test
    void verify_everyAlteredCharacterOfTheId_isRejected() {
        Challenge challenge = pow.issue(0);
        byte[] nonce = solve(challenge);
        String id = challenge.id();
        for (int i = 0; i < id.length(); i++) {
            char replacement = id.charAt(i) == 'A' ? 'B' : 'A';
            String altered = id.substring(0, i) + replacement + id.substring(i + 1);
            assertThat(now(pow.verify(altered, nonce))).isIn(PowVerdict.MALFORMED_ID, PowVerdict.BAD_SIGNATURE);
        }
        assertThat(now(pow.verify(id, nonce))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void verify_malformedIds_areReportedAsSuch() {
        Challenge challenge = pow.issue(0);
        byte[] nonce = solve(challenge);

        assertThat(now(pow.verify(null, nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify("", nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify("not base64!", nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify(challenge.id() + "AAAA", nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify(challenge.id().substring(4), nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify(challenge.id() + "==", nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify("A".repeat(10_000), nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        ProofOfWork argon2 = ProofOfWork.argon2id(SPEC, PowAlgorithm.Argon2id.DEFAULT, SECRETS, store, clock);
        assertThat(now(argon2.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.MALFORMED_ID);
        assertThat(now(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void verify_storeReachedOnlyAfterTheExpiry_isNotAccepted() {
        Challenge challenge = pow.issue(0);
        byte[] nonce = solve(challenge);
        // The verifier reads a clock a millisecond before expiry; the store's clock is past it, as when
        // the hash or the network takes that long, or the store's clock runs ahead.
        ManualClock storeClock = new ManualClock((challenge.expiresAtMillis()) * 1_000_000L);
        ManualClock verifierClock = new ManualClock((challenge.expiresAtMillis() - 1) * 1_000_000L);
        ProofOfWork lateStore =
                ProofOfWork.sha256(SPEC, SECRETS, NonceStore.inMemory(storeClock, storeClock, 10), verifierClock);

        assertThat(now(lateStore.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.REPLAYED);
        verifierClock.advanceNanos(1_000_000);
        assertThat(now(lateStore.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.EXPIRED);
    }

    @Test
    void verify_storeUnavailable_consumesNothingAndSaysSo() {
        NonceStore full = NonceStore.inMemory(clock, clock, 1);
        ProofOfWork pow = ProofOfWork.sha256(SPEC, SECRETS, full, clock);
        Challenge first = pow.issue(0);
        Challenge second = pow.issue(0);
        assertThat(now(pow.verify(first.id(), solve(first)))).isEqualTo(PowVerdict.ACCEPTED);

        assertThat(now(pow.verify(second.id(), solve(second)))).isEqualTo(PowVerdict.UNAVAILABLE);
    }

    @Test
    void verify_neverWaitsForTheStore_theVerdictCompletesWhenItAnswers() {
        HeldNonceStore held = new HeldNonceStore();
        ProofOfWork pow = ProofOfWork.sha256(SPEC, SECRETS, held, clock);
        Challenge challenge = pow.issue(0);
        byte[] nonce = solve(challenge);

        CompletionStage<PowVerdict> first = pow.verify(challenge.id(), nonce);
        CompletionStage<PowVerdict> second = pow.verify(challenge.id(), nonce);
        assertThat(first.toCompletableFuture()).isNotDone();
        assertThat(second.toCompletableFuture()).isNotDone();
        HeldNonceStore.Call put = held.next();
        assertThat(put.operation()).isEqualTo("putIfAbsent");
        assertThat(put.id()).isEqualTo("pow:" + challenge.id());
        assertThat(put.expiresAtMillis()).isEqualTo(challenge.expiresAtMillis());
        assertThat(held.next().operation()).as("SHA-256 asks no lookup first").isEqualTo("putIfAbsent");

        put.answer(true);
        assertThat(now(first)).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(second.toCompletableFuture()).isNotDone();
    }

    @Test
    void verify_storeFailsTheStage_isUnavailable_notAnException() {
        HeldNonceStore held = new HeldNonceStore();
        ProofOfWork pow = ProofOfWork.sha256(SPEC, SECRETS, held, clock);
        Challenge challenge = pow.issue(0);

        CompletionStage<PowVerdict> verdict = pow.verify(challenge.id(), solve(challenge));
        held.next().fail(new NonceStoreUnavailableException("timed out"));

        assertThat(now(verdict)).isEqualTo(PowVerdict.UNAVAILABLE);
    }

    @Test
    void verify_storeThrowsUnavailable_isUnavailable_notAnException() {
        NonceStore throwing =
                new ThrowingNonceStore(() -> new NonceStoreUnavailableException("thrown, against the contract"));
        ProofOfWork pow = ProofOfWork.sha256(SPEC, SECRETS, throwing, clock);
        Challenge challenge = pow.issue(0);

        assertThat(now(pow.verify(challenge.id(), solve(challenge)))).isEqualTo(PowVerdict.UNAVAILABLE);
    }

    @Test
    void verify_storeFailsWithABug_failsTheStage_insteadOfInventingAVerdict() {
        HeldNonceStore held = new HeldNonceStore();
        ProofOfWork pow = ProofOfWork.sha256(SPEC, SECRETS, held, clock);
        Challenge challenge = pow.issue(0);

        CompletionStage<PowVerdict> verdict = pow.verify(challenge.id(), solve(challenge));
        held.next().fail(new IllegalStateException("a bug in the store"));

        assertThat(failure(verdict)).isInstanceOf(IllegalStateException.class).hasMessage("a bug in the store");
    }

    @Test
    void verifyHex_badHexOrLength_isBadNonce() {
        Challenge challenge = pow.issue(0);
        String id = challenge.id();

        assertThat(now(pow.verifyHex(id, null))).isEqualTo(PowVerdict.BAD_NONCE);
        assertThat(now(pow.verifyHex(id, ""))).isEqualTo(PowVerdict.BAD_NONCE);
        assertThat(now(pow.verifyHex(id, "abc"))).isEqualTo(PowVerdict.BAD_NONCE);
        assertThat(now(pow.verifyHex(id, "zz"))).isEqualTo(PowVerdict.BAD_NONCE);
        assertThat(now(pow.verifyHex(id, "\u0660\u0660"))).isEqualTo(PowVerdict.BAD_NONCE); // Arabic-Indic zeros
        assertThat(now(pow.verifyHex(id, "\uFF21\uFF21"))).isEqualTo(PowVerdict.BAD_NONCE); // fullwidth A
        assertThat(now(pow.verifyHex(id, "00".repeat(ProofOfWork.MAX_NONCE_BYTES + 1))))
                .isEqualTo(PowVerdict.BAD_NONCE);
        assertThat(now(pow.verify(id, new byte[0]))).isEqualTo(PowVerdict.BAD_NONCE);
        assertThat(now(pow.verify(id, null))).isEqualTo(PowVerdict.BAD_NONCE);
        String upper = HexFormat.of().withUpperCase().formatHex(solve(challenge));
        assertThat(now(pow.verifyHex(id, upper))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void replicasSharingSecretAndStore_acceptEachOthersChallengesOnce() {
        ProofOfWork replica = ProofOfWork.sha256(SPEC, SECRETS, store, clock);
        Challenge challenge = pow.issue(0.2);
        byte[] nonce = solve(challenge);

        assertThat(now(replica.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(now(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.REPLAYED);
    }

    @Test
    void keyRotation_acceptsChallengesOfThePreviousSecret() {
        byte[] next = bytes("server secret number two");
        Challenge old = pow.issue(0);
        ProofOfWork rotating = ProofOfWork.sha256(SPEC, HmacSecrets.of(next, SECRETS.current()), store, clock);
        ProofOfWork rotated = ProofOfWork.sha256(SPEC, HmacSecrets.of(next), store, clock);
        Challenge fresh = rotating.issue(0);

        assertThat(now(rotated.verify(old.id(), solve(old)))).isEqualTo(PowVerdict.BAD_SIGNATURE);
        assertThat(now(rotating.verify(old.id(), solve(old)))).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(now(pow.verify(fresh.id(), solve(fresh)))).isEqualTo(PowVerdict.BAD_SIGNATURE);
        assertThat(now(rotated.verify(fresh.id(), solve(fresh)))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void sameSolutionFromManyThreads_isAcceptedExactlyOnce() throws InterruptedException {
        for (int round = 0; round < 10; round++) {
            Challenge challenge = pow.issue(0);
            byte[] nonce = solve(challenge);
            ConcurrentLinkedQueue<PowVerdict> verdicts = new ConcurrentLinkedQueue<>();
            Race.run(32, () -> verdicts.add(now(pow.verify(challenge.id(), nonce))));
            assertThat(verdicts).hasSize(32);
            assertThat(verdicts.stream().filter(PowVerdict::accepted)).hasSize(1);
            assertThat(verdicts.stream().filter(v -> v == PowVerdict.REPLAYED)).hasSize(31);
        }
    }

    @Test
    void spec_rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> PowSpec.of(0, 4, Duration.ofMinutes(1)))
                .hasMessage("baseDifficulty: 0 (expected: 1 <= baseDifficulty <= 64)");
        assertThatThrownBy(() -> PowSpec.of(8, 4, Duration.ofMinutes(1)))
                .hasMessage("maxDifficulty: 4 (expected: 8 <= maxDifficulty <= 64)");
        assertThatThrownBy(() -> PowSpec.of(8, 65, Duration.ofMinutes(1)))
                .hasMessage("maxDifficulty: 65 (expected: 8 <= maxDifficulty <= 64)");
        assertThatThrownBy(() -> PowSpec.of(1, 4, Duration.ZERO)).hasMessage("ttl: PT0S (expected: >= PT0.001S)");
        assertThatThrownBy(() -> HmacSecrets.of(new byte[15])).hasMessage("current: 15 bytes (expected: >= 16 bytes)");
    }

    static int sha256LeadingZeros(byte[] payload, byte[] nonce) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(payload);
            byte[] hash = digest.digest(nonce);
            int zeros = 0;
            for (byte b : hash) {
                for (int bit = 7; bit >= 0; bit--) {
                    if ((b >>> bit & 1) != 0) {
                        return zeros;
                    }
                    zeros++;
                }
            }
            return zeros;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
