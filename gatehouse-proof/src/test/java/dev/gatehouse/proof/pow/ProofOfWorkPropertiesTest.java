package dev.gatehouse.proof.pow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.time.ManualClock;
import dev.gatehouse.proof.internal.Base64Url;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class ProofOfWorkPropertiesTest {

    private static final HmacSecrets SECRETS = HmacSecrets.of(new byte[32]);

    @Property(tries = 100)
    void anyValidSolve_verifiesExactlyOnce(@ForAll @DoubleRange(min = 0, max = 1) double load) {
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        ProofOfWork pow = ProofOfWork.sha256(
                PowSpec.of(1, 8, Duration.ofMinutes(1)), SECRETS, NonceStore.inMemory(clock, 100), clock);
        Challenge challenge = pow.issue(load);
        byte[] nonce = PowSolver.solve(challenge, 1 << 20).orElseThrow();

        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.REPLAYED);
    }

    @Property(tries = 200)
    void anyTamperedByteOfTheId_failsVerification(
            @ForAll @IntRange(min = 0, max = 41) int index, @ForAll @IntRange(min = 1, max = 255) int mask) {
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        ProofOfWork pow = ProofOfWork.sha256(
                PowSpec.of(1, 1, Duration.ofMinutes(1)), SECRETS, NonceStore.inMemory(clock, 100), clock);
        Challenge challenge = pow.issue(0);
        byte[] nonce = PowSolver.solve(challenge, 1 << 20).orElseThrow();
        byte[] id = Base64Url.decode(challenge.id()).orElseThrow();
        id[index] ^= (byte) mask;

        assertThat(pow.verify(Base64Url.encode(id), nonce)).isIn(PowVerdict.MALFORMED_ID, PowVerdict.BAD_SIGNATURE);
        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.ACCEPTED);
    }
}
