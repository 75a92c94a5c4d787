package dev.gatehouse.proof.pow;

import static dev.gatehouse.testing.Stages.now;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.internal.Base64Url;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RandomCases;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ProofOfWorkPropertiesTest {

    private static final HmacSecrets SECRETS = HmacSecrets.of(new byte[32]);
    private static final double[] EDGE_LOADS = {0, Double.MIN_VALUE, 0.01, 0.5, 0.99, Math.nextDown(1.0), 1};

    static LongStream seeds() {
        return RandomCases.seeds(200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void verify_validSolveAtRandomLoad_isAcceptedExactlyOnce(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double load = random.nextInt(8) == 0
                ? EDGE_LOADS[random.nextInt(EDGE_LOADS.length)]
                : random.nextDouble(0, Math.nextUp(1.0));
        assertAcceptedExactlyOnce(load);
    }

    @Test
    void verify_validSolveAtEdgeLoads_isAcceptedExactlyOnce() {
        for (double load : EDGE_LOADS) {
            assertAcceptedExactlyOnce(load);
        }
    }

    private static void assertAcceptedExactlyOnce(double load) {
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        ProofOfWork pow = ProofOfWork.sha256(
                PowSpec.of(1, 8, Duration.ofMinutes(1)), SECRETS, NonceStore.inMemory(clock, clock, 100), clock);
        Challenge challenge = pow.issue(load);
        byte[] nonce = PowSolver.solve(challenge, 1 << 20).orElseThrow();

        assertThat(now(pow.verify(challenge.id(), nonce))).as("load %s", load).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(now(pow.verify(challenge.id(), nonce))).as("load %s", load).isEqualTo(PowVerdict.REPLAYED);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void verify_idWithARandomByteTampered_failsVerification(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertTamperingFails(RandomCases.intBetween(random, 0, 41), RandomCases.intBetween(random, 1, 255));
    }

    @Test
    void verify_idWithAnyByteTamperedByEdgeMasks_failsVerification() {
        for (int index = 0; index <= 41; index++) {
            for (int mask : new int[] {1, 2, 127, 128, 255}) {
                assertTamperingFails(index, mask);
            }
        }
    }

    private static void assertTamperingFails(int index, int mask) {
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        ProofOfWork pow = ProofOfWork.sha256(
                PowSpec.of(1, 1, Duration.ofMinutes(1)), SECRETS, NonceStore.inMemory(clock, clock, 100), clock);
        Challenge challenge = pow.issue(0);
        byte[] nonce = PowSolver.solve(challenge, 1 << 20).orElseThrow();
        byte[] id = Base64Url.decode(challenge.id()).orElseThrow();
        assertThat(id).hasSize(42);
        id[index] ^= (byte) mask;

        assertThat(now(pow.verify(Base64Url.encode(id), nonce)))
                .as("byte %d ^ %d", index, mask)
                .isIn(PowVerdict.MALFORMED_ID, PowVerdict.BAD_SIGNATURE);
        assertThat(now(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
    }
}
