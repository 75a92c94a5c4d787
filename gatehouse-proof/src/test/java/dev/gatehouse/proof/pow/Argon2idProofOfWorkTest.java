package dev.gatehouse.proof.pow;

import static dev.gatehouse.proof.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class Argon2idProofOfWorkTest {

    private static final PowAlgorithm.Argon2id SMALL = new PowAlgorithm.Argon2id(64, 1, 1);
    private static final HmacSecrets SECRETS = HmacSecrets.of(new byte[24]);

    private final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
    private final NonceStore store = NonceStore.inMemory(clock, clock, 1_000);
    private final ProofOfWork pow =
            ProofOfWork.argon2id(PowSpec.of(2, 4, Duration.ofMinutes(1)), SMALL, SECRETS, store, clock);

    @Test
    void rfc9106Vectors_bouncyCastleArgon2_reproducesTheTags() {
        JsonNode vectors = Vectors.load("argon2.json");
        JsonNode common = vectors.get("common");
        int[] types = {Argon2Parameters.ARGON2_d, Argon2Parameters.ARGON2_i, Argon2Parameters.ARGON2_id};
        String[] names = {"argon2d", "argon2i", "argon2id"};
        for (int i = 0; i < types.length; i++) {
            Argon2BytesGenerator generator = new Argon2BytesGenerator();
            generator.init(new Argon2Parameters.Builder(types[i])
                    .withVersion(common.get("version").asInt())
                    .withMemoryAsKB(common.get("memory_kib").asInt())
                    .withIterations(common.get("iterations").asInt())
                    .withParallelism(common.get("parallelism").asInt())
                    .withSalt(hex(common, "salt"))
                    .withSecret(hex(common, "secret"))
                    .withAdditional(hex(common, "associated_data"))
                    .build());
            byte[] tag = new byte[common.get("tag_length").asInt()];
            generator.generateBytes(hex(common, "password"), tag);
            assertThat(hex(tag)).isEqualTo(vectors.get("tags").get(names[i]).asText());
        }
    }

    @Test
    void challenge_carriesTheParameters_soAClientCanSolveWithoutPriorKnowledge() {
        Challenge challenge = pow.issue(1);

        assertThat(challenge.algorithm()).isEqualTo(SMALL);
        assertThat(challenge.difficulty()).isEqualTo(4);
        assertThat(challenge.id()).matches("[A-Za-z0-9_-]{64}");
        byte[] nonce = PowSolver.solve(challenge, 10_000).orElseThrow();
        assertThat(PowHash.of(SMALL, challenge.payload(), nonce)[0] & 0xf0).isZero();
        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.REPLAYED);
    }

    @Test
    void verify_wrongNonceLeavesItSolvable_andExpiryIsExact() {
        Challenge challenge = pow.issue(0);
        byte[] nonce = PowSolver.solve(challenge, 10_000).orElseThrow();
        byte[] wrong = Sha256ProofOfWorkTest.wrongNonce(challenge);

        assertThat(pow.verify(challenge.id(), wrong)).isEqualTo(PowVerdict.INSUFFICIENT_WORK);
        clock.setNanos(challenge.expiresAtMillis() * 1_000_000L);
        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.EXPIRED);
        clock.setNanos(challenge.expiresAtMillis() * 1_000_000L - 1);
        assertThat(pow.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void replay_isRefusedBeforeHashing() {
        AtomicInteger puts = new AtomicInteger();
        AtomicInteger lookups = new AtomicInteger();
        NonceStore counting = new NonceStore() {
            @Override
            public boolean putIfAbsent(String id, long expiresAtMillis) {
                puts.incrementAndGet();
                return store.putIfAbsent(id, expiresAtMillis);
            }

            @Override
            public boolean contains(String id) {
                lookups.incrementAndGet();
                return store.contains(id);
            }
        };
        ProofOfWork counted =
                ProofOfWork.argon2id(PowSpec.of(2, 4, Duration.ofMinutes(1)), SMALL, SECRETS, counting, clock);
        Challenge challenge = counted.issue(0);
        byte[] nonce = PowSolver.solve(challenge, 10_000).orElseThrow();
        assertThat(counted.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.ACCEPTED);

        assertThat(counted.verify(challenge.id(), nonce)).isEqualTo(PowVerdict.REPLAYED);
        assertThat(lookups).hasValue(2);
        assertThat(puts).hasValue(1); // the replay never reached the hash nor the put
    }

    @Test
    void verify_sha256ChallengeAtAnArgon2Verifier_isMalformed() {
        ProofOfWork sha = ProofOfWork.sha256(PowSpec.of(1, 1, Duration.ofMinutes(1)), SECRETS, store, clock);
        Challenge challenge = sha.issue(0);

        assertThat(pow.verify(challenge.id(), new byte[] {1})).isEqualTo(PowVerdict.MALFORMED_ID);
    }

    @Test
    void parameters_areBoundedNamingTheLimit() {
        assertThatThrownBy(() -> new PowAlgorithm.Argon2id(512 * 1024, 1, 1))
                .hasMessage("memoryKiB: 524288 (expected: 8 <= memoryKiB <= 262144)");
        assertThatThrownBy(() -> new PowAlgorithm.Argon2id(64, 17, 1))
                .hasMessage("iterations: 17 (expected: 1 <= iterations <= 16)");
        assertThatThrownBy(() -> new PowAlgorithm.Argon2id(64, 1, 9))
                .hasMessage("parallelism: 9 (expected: 1 <= parallelism <= 8)");
    }
}
