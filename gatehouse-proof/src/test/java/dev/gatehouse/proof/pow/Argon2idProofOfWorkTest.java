package dev.gatehouse.proof.pow;

import static dev.gatehouse.proof.Vectors.hex;
import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.nonce.HeldNonceStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class Argon2idProofOfWorkTest {

    private static final PowAlgorithm.Argon2id SMALL = new PowAlgorithm.Argon2id(64, 1, 1);
    private static final HmacSecrets SECRETS = HmacSecrets.of(new byte[24]);
    private static final PowSpec SPEC = PowSpec.of(2, 4, Duration.ofMinutes(1));

    private final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
    private final NonceStore store = NonceStore.inMemory(clock, clock, 1_000);
    private final ProofOfWork pow = ProofOfWork.argon2id(SPEC, SMALL, SECRETS, store, clock);

    private ProofOfWork on(NonceStore store, Executor hashPool) {
        return ProofOfWork.argon2id(SPEC, SMALL, SECRETS, store, clock, hashPool);
    }

    private static byte[] solve(Challenge challenge) {
        return PowSolver.solve(challenge, 10_000).orElseThrow();
    }

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
        assertThat(await(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(await(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.REPLAYED);
    }

    @Test
    void verify_wrongNonceLeavesItSolvable_andExpiryIsExact() {
        Challenge challenge = pow.issue(0);
        byte[] nonce = PowSolver.solve(challenge, 10_000).orElseThrow();
        byte[] wrong = Sha256ProofOfWorkTest.wrongNonce(challenge);

        assertThat(await(pow.verify(challenge.id(), wrong))).isEqualTo(PowVerdict.INSUFFICIENT_WORK);
        clock.setNanos(challenge.expiresAtMillis() * 1_000_000L);
        assertThat(await(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.EXPIRED);
        clock.setNanos(challenge.expiresAtMillis() * 1_000_000L - 1);
        assertThat(await(pow.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void replay_isRefusedBeforeHashing() {
        AtomicInteger puts = new AtomicInteger();
        AtomicInteger lookups = new AtomicInteger();
        NonceStore counting = new NonceStore() {
            @Override
            public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
                puts.incrementAndGet();
                return store.putIfAbsent(id, expiresAtMillis);
            }

            @Override
            public CompletionStage<Boolean> contains(String id) {
                lookups.incrementAndGet();
                return store.contains(id);
            }
        };
        ManualExecutor hashPool = new ManualExecutor(10);
        ProofOfWork counted = on(counting, hashPool);
        Challenge challenge = counted.issue(0);
        byte[] nonce = PowSolver.solve(challenge, 10_000).orElseThrow();
        CompletionStage<PowVerdict> first = counted.verify(challenge.id(), nonce);
        hashPool.runNext();
        assertThat(now(first)).isEqualTo(PowVerdict.ACCEPTED);

        assertThat(now(counted.verify(challenge.id(), nonce))).isEqualTo(PowVerdict.REPLAYED);
        assertThat(lookups).hasValue(2);
        assertThat(puts).hasValue(1); // the replay never reached the hash nor the put
        assertThat(hashPool.waiting()).isZero();
    }

    @Test
    void verify_sha256ChallengeAtAnArgon2Verifier_isMalformed() {
        ProofOfWork sha = ProofOfWork.sha256(PowSpec.of(1, 1, Duration.ofMinutes(1)), SECRETS, store, clock);
        Challenge challenge = sha.issue(0);

        assertThat(await(pow.verify(challenge.id(), new byte[] {1}))).isEqualTo(PowVerdict.MALFORMED_ID);
    }

    @Test
    void verify_hashesOnThePool_neverOnTheCallersThread() {
        ManualExecutor hashPool = new ManualExecutor(10);
        ProofOfWork pooled = on(store, hashPool);
        Challenge challenge = pooled.issue(0);
        byte[] nonce = solve(challenge);
        byte[] wrong = Sha256ProofOfWorkTest.wrongNonce(challenge);

        CompletionStage<PowVerdict> right = pooled.verify(challenge.id(), nonce);
        CompletionStage<PowVerdict> notEnough = pooled.verify(challenge.id(), wrong);
        assertThat(right.toCompletableFuture()).isNotDone();
        assertThat(hashPool.waiting()).isEqualTo(2);
        hashPool.runNext();
        hashPool.runNext();

        assertThat(now(right)).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(now(notEnough)).isEqualTo(PowVerdict.INSUFFICIENT_WORK);
    }

    @Test
    void verify_neverWaitsForTheStore_lookupThenHashThenPut() {
        HeldNonceStore held = new HeldNonceStore();
        ManualExecutor hashPool = new ManualExecutor(10);
        ProofOfWork pooled = on(held, hashPool);
        Challenge challenge = pooled.issue(0);

        CompletionStage<PowVerdict> verdict = pooled.verify(challenge.id(), solve(challenge));
        HeldNonceStore.Call lookup = held.next();
        assertThat(lookup.operation()).isEqualTo("contains");
        assertThat(hashPool.waiting()).as("no hash before the lookup answers").isZero();
        lookup.answer(false);
        assertThat(hashPool.waiting()).isEqualTo(1);
        hashPool.runNext();
        HeldNonceStore.Call put = held.next();
        assertThat(put.operation()).isEqualTo("putIfAbsent");
        assertThat(verdict.toCompletableFuture()).isNotDone();
        put.answer(true);

        assertThat(now(verdict)).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void verify_storeCannotAnswer_isUnavailable_atTheLookupOrThePut() {
        HeldNonceStore held = new HeldNonceStore();
        ManualExecutor hashPool = new ManualExecutor(10);
        ProofOfWork pooled = on(held, hashPool);
        Challenge challenge = pooled.issue(0);
        byte[] nonce = solve(challenge);

        CompletionStage<PowVerdict> atLookup = pooled.verify(challenge.id(), nonce);
        held.next().fail(new NonceStoreUnavailableException("timed out"));
        assertThat(now(atLookup)).isEqualTo(PowVerdict.UNAVAILABLE);
        assertThat(hashPool.waiting()).as("nothing hashed").isZero();

        CompletionStage<PowVerdict> atPut = pooled.verify(challenge.id(), nonce);
        held.next().answer(false);
        hashPool.runNext();
        held.next().fail(new NonceStoreUnavailableException("timed out"));
        assertThat(now(atPut)).isEqualTo(PowVerdict.UNAVAILABLE);
    }

    @Test
    void verify_poolFull_isBusyAtOnce_andTheChallengeStaysSolvable() {
        ManualExecutor full = new ManualExecutor(0);
        Challenge challenge = on(store, full).issue(0);
        byte[] nonce = solve(challenge);

        assertThat(now(on(store, full).verify(challenge.id(), nonce))).isEqualTo(PowVerdict.BUSY);
        assertThat(now(on(store, Runnable::run).verify(challenge.id(), nonce))).isEqualTo(PowVerdict.ACCEPTED);
    }

    @Test
    void theHashesInFlightTakeAQuarterOfTheHeapAtMost_oneHashAtLeast() {
        assertThat(SignedProofOfWork.argon2MemoryBudgetKiB(256L << 20)).isEqualTo(64 * 1024); // a 256 MiB heap
        assertThat(SignedProofOfWork.argon2MemoryBudgetKiB(4L << 30)).isEqualTo(256 * 1024); // 4 GiB: the cap
        assertThat(ProofOfWork.argon2MemoryBudgetKiB())
                .isEqualTo(SignedProofOfWork.argon2MemoryBudgetKiB(
                        Runtime.getRuntime().maxMemory()));
        for (int memoryKiB : new int[] {SMALL.memoryKiB(), 65_536, 262_144}) {
            PowAlgorithm.Argon2id parameters = new PowAlgorithm.Argon2id(memoryKiB, 1, 1);
            long inFlightKiB = (long) SignedProofOfWork.hashSlots(parameters) * memoryKiB;
            assertThat(inFlightKiB).isLessThanOrEqualTo(Math.max(ProofOfWork.argon2MemoryBudgetKiB(), memoryKiB));
        }
    }

    @Test
    void verify_memoryBulkheadFull_isBusyAtOnce_untilAHashIsDone() {
        ManualExecutor unbounded = new ManualExecutor(Integer.MAX_VALUE);
        ProofOfWork pooled = on(store, unbounded);
        int slots = SignedProofOfWork.hashSlots(SMALL);
        List<CompletionStage<PowVerdict>> inFlight = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            Challenge challenge = pooled.issue(0);
            inFlight.add(pooled.verify(challenge.id(), solve(challenge)));
        }
        Challenge waiting = pooled.issue(0);
        byte[] nonce = solve(waiting);

        assertThat(now(pooled.verify(waiting.id(), nonce))).isEqualTo(PowVerdict.BUSY);
        assertThat(unbounded.waiting())
                .as("the pool was not asked past the bulkhead")
                .isEqualTo(slots);
        unbounded.runNext(); // one hash done: its slot is free again
        assertThat(now(inFlight.get(0))).isEqualTo(PowVerdict.ACCEPTED);
        CompletionStage<PowVerdict> admitted = pooled.verify(waiting.id(), nonce);
        assertThat(unbounded.waiting()).isEqualTo(slots);
        while (unbounded.waiting() > 0) {
            unbounded.runNext();
        }
        assertThat(now(admitted)).isEqualTo(PowVerdict.ACCEPTED);
        assertThat(inFlight).allSatisfy(verdict -> assertThat(now(verdict)).isEqualTo(PowVerdict.ACCEPTED));
    }

    @Test
    void hashPool_isBoundedInThreadsAndQueue_andRejectsWhenFull() throws InterruptedException {
        ThreadPoolExecutor pool = HashPool.create(1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            pool.execute(() -> {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            running.await();
            for (int i = 0; i < HashPool.QUEUED_PER_CORE; i++) {
                pool.execute(() -> {});
            }

            assertThat(pool.getMaximumPoolSize()).isOne();
            assertThatThrownBy(() -> pool.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
        } finally {
            release.countDown();
            pool.shutdown();
        }
    }

    @Test
    void defaultHashPool_checksTheWork() {
        Challenge challenge = pow.issue(0);

        assertThat(await(pow.verify(challenge.id(), Sha256ProofOfWorkTest.wrongNonce(challenge))))
                .isEqualTo(PowVerdict.INSUFFICIENT_WORK);
        assertThat(await(pow.verify(challenge.id(), solve(challenge)))).isEqualTo(PowVerdict.ACCEPTED);
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
