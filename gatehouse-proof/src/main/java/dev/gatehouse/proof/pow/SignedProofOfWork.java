package dev.gatehouse.proof.pow;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Base64Url;
import dev.gatehouse.core.internal.HmacSha256;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.internal.Hex;
import dev.gatehouse.proof.internal.LeadingZeros;
import dev.gatehouse.proof.internal.SingleUse;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/** Stateless proof-of-work challenges: the id is the challenge, signed with the server's secret. */
final class SignedProofOfWork implements ProofOfWork {

    /*
     * Design: the id is base64url of kind ‖ difficulty ‖ expiresAtMillis ‖ [Argon2id memory,
     * iterations, parallelism] ‖ payload ‖ MAC, where MAC is the first 16 bytes of HMAC-SHA256 under a
     * key derived from the server secret (so a challenge MAC can never pass as a token MAC). The
     * solve request carries only the id and the nonce, and the id alone restores the challenge, so
     * issuing stores nothing: a flood of challenge requests costs CPU, not memory, and any replica
     * with the secret can verify.
     *
     * verify checks in order of cost: shape, signature (constant time), expiry (exact: expired from
     * expiresAtMillis on), the work, and only then consumes the id with putIfAbsent. A wrong nonce
     * therefore leaves the challenge solvable, and of two correct submissions exactly one wins. For
     * Argon2id a consumed id is refused before hashing, so a captured solution cannot be replayed to
     * make the server spend memory; the parameters themselves are capped (PowAlgorithm.Argon2id) and
     * signed, so a client cannot raise them. Since wrong nonces may be retried, Argon2id hashes also
     * run behind a bulkhead: at most ARGON2_MEMORY_BUDGET_KIB of them at once (and at most four per
     * core); past that, verify answers BUSY at once instead of queueing memory.
     *
     * The store refuses an id whose expiry has come, so copies that pass the expiry check just before
     * expires_at but reach the store after it are not accepted; a refusal then reads as EXPIRED or
     * REPLAYED by the clock. A store that cannot answer gives UNAVAILABLE and consumes nothing.
     *
     * verify is asynchronous and never blocks: the checks up to expiry, and the SHA-256 work, run on
     * the calling thread (microseconds), and the verdict completes when the store answers. An
     * Argon2id hash takes milliseconds and megabytes, so it runs on the hash pool: the bulkhead slot
     * is taken before the hash is handed to the pool and given back as soon as the hash is done, and
     * a pool that rejects the hash gives BUSY like a full bulkhead, so one verdict covers both
     * bounds. Fixed verdicts are shared complete stages (completedStage: nobody can complete them).
     */

    private static final byte KIND_SHA256 = 1;
    private static final byte KIND_ARGON2ID = 2;
    private static final int MAC_BYTES = 16;
    private static final int HEADER_BYTES = 1 + 1 + 8;
    private static final int ARGON2_PARAMETER_BYTES = 4 + 1 + 1;
    private static final String STORE_PREFIX = "pow:";
    private static final byte[] KEY_LABEL = "gatehouse proof-of-work challenge v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The most Argon2id memory in flight in this process, as {@link #argon2MemoryBudgetKiB(long)}. */
    static final long ARGON2_MEMORY_BUDGET_KIB =
            argon2MemoryBudgetKiB(Runtime.getRuntime().maxMemory());

    private static final List<CompletionStage<PowVerdict>> VERDICTS = Stream.of(PowVerdict.values())
            .map(CompletableFuture::completedStage)
            .toList();

    private final PowSpec spec;
    private final PowAlgorithm algorithm;
    private final NonceStore store;
    private final WallClock clock;
    private final HmacSha256 currentKey;
    private final @Nullable HmacSha256 previousKey;
    private final byte kind;
    private final int idBytes;
    private final @Nullable Semaphore hashSlots; // Argon2id only, as hashPool
    private final @Nullable Executor hashPool;

    /** {@code hashPool}: where Argon2id hashes run; unused (null) for SHA-256. */
    SignedProofOfWork(
            PowSpec spec,
            PowAlgorithm algorithm,
            HmacSecrets secrets,
            NonceStore store,
            WallClock clock,
            @Nullable Executor hashPool) {
        Require.given("spec", spec, "given");
        Require.given("algorithm", algorithm, "given");
        Require.given("secrets", secrets, "given");
        Require.given("store", store, "given");
        Require.given("clock", clock, "given");
        this.spec = spec;
        this.algorithm = algorithm;
        this.store = store;
        this.clock = clock;
        this.currentKey = derivedKey(secrets.current());
        this.previousKey = secrets.previous().map(SignedProofOfWork::derivedKey).orElse(null);
        this.kind = algorithm instanceof PowAlgorithm.Argon2id ? KIND_ARGON2ID : KIND_SHA256;
        int parameterBytes = algorithm instanceof PowAlgorithm.Argon2id ? ARGON2_PARAMETER_BYTES : 0;
        this.idBytes = HEADER_BYTES + parameterBytes + PAYLOAD_BYTES + MAC_BYTES;
        this.hashSlots =
                algorithm instanceof PowAlgorithm.Argon2id argon2id ? new Semaphore(hashSlots(argon2id)) : null;
        this.hashPool = algorithm instanceof PowAlgorithm.Argon2id
                ? Require.given("hashPool", hashPool, "an executor for Argon2id hashes")
                : null;
    }

    /** The most Argon2id memory in flight with a heap of {@code heapBytes}: 256 MiB, or a quarter of a smaller heap. */
    static long argon2MemoryBudgetKiB(long heapBytes) {
        return Math.min(256L * 1024, heapBytes / 4 / 1024);
    }

    /**
     * How many Argon2id hashes with {@code parameters} may be in flight at once: the memory bulkhead,
     * {@link #ARGON2_MEMORY_BUDGET_KIB} over a hash's memory, one at least, four per core at most.
     */
    static int hashSlots(PowAlgorithm.Argon2id parameters) {
        return (int) Math.clamp(
                ARGON2_MEMORY_BUDGET_KIB / parameters.memoryKiB(),
                1,
                4L * Runtime.getRuntime().availableProcessors());
    }

    @Override
    public Challenge issue(double load) {
        int difficulty = spec.difficulty(load);
        long expiresAtMillis = clock.epochMillis() + spec.ttlMillis();
        byte[] payload = new byte[PAYLOAD_BYTES];
        RANDOM.nextBytes(payload);
        ByteBuffer id = ByteBuffer.allocate(idBytes);
        id.put(kind).put((byte) difficulty).putLong(expiresAtMillis);
        if (algorithm instanceof PowAlgorithm.Argon2id argon2id) {
            id.putInt(argon2id.memoryKiB()).put((byte) argon2id.iterations()).put((byte) argon2id.parallelism());
        }
        id.put(payload);
        int signedBytes = id.position();
        id.put(currentKey.mac(id.array(), 0, signedBytes), 0, MAC_BYTES);
        return new Challenge(Base64Url.encode(id.array()), payload, difficulty, expiresAtMillis, algorithm);
    }

    @Override
    public CompletionStage<PowVerdict> verifyHex(String id, String nonceHex) {
        Optional<byte[]> nonce = Hex.decode(nonceHex, MAX_NONCE_BYTES);
        return nonce.isEmpty() ? verdict(PowVerdict.BAD_NONCE) : verify(id, nonce.get());
    }

    @Override
    public CompletionStage<PowVerdict> verify(String id, byte[] nonce) {
        if (id == null || id.length() > MAX_ID_CHARS) {
            return verdict(PowVerdict.MALFORMED_ID);
        }
        byte[] bytes = Base64Url.decode(id).orElse(null);
        if (bytes == null || bytes.length != idBytes || bytes[0] != kind) {
            return verdict(PowVerdict.MALFORMED_ID);
        }
        if (nonce == null || nonce.length == 0 || nonce.length > MAX_NONCE_BYTES) {
            return verdict(PowVerdict.BAD_NONCE);
        }
        int signedBytes = idBytes - MAC_BYTES;
        byte[] mac = Arrays.copyOfRange(bytes, signedBytes, idBytes);
        if (!currentKey.matches(bytes, 0, signedBytes, mac)
                && (previousKey == null || !previousKey.matches(bytes, 0, signedBytes, mac))) {
            return verdict(PowVerdict.BAD_SIGNATURE);
        }
        ByteBuffer fields = ByteBuffer.wrap(bytes, 1, signedBytes - 1);
        int difficulty = fields.get() & 0xff;
        long expiresAtMillis = fields.getLong();
        if (clock.epochMillis() >= expiresAtMillis) {
            return verdict(PowVerdict.EXPIRED);
        }
        String storeKey = STORE_PREFIX + id;
        if (kind == KIND_SHA256) {
            byte[] payload = new byte[PAYLOAD_BYTES];
            fields.get(payload);
            if (!LeadingZeros.atLeast(PowHash.of(algorithm, payload, nonce), difficulty)) {
                return verdict(PowVerdict.INSUFFICIENT_WORK);
            }
            return consume(storeKey, expiresAtMillis);
        }
        PowAlgorithm.Argon2id signedAlgorithm;
        try {
            signedAlgorithm = new PowAlgorithm.Argon2id(fields.getInt(), fields.get() & 0xff, fields.get() & 0xff);
        } catch (IllegalArgumentException e) {
            return verdict(PowVerdict.MALFORMED_ID); // signed before the caps were lowered
        }
        byte[] payload = new byte[PAYLOAD_BYTES];
        fields.get(payload);
        return SingleUse.isConsumed(store, storeKey)
                .thenCompose(consumed -> consumed
                        ? verdict(PowVerdict.REPLAYED)
                        : hashOnPool(signedAlgorithm, payload, nonce, difficulty, storeKey, expiresAtMillis))
                .exceptionally(SignedProofOfWork::unavailable);
    }

    /**
     * Checks the Argon2id work on the hash pool, behind the memory bulkhead, then consumes the id;
     * BUSY at once when the bulkhead or the pool is full.
     */
    private CompletionStage<PowVerdict> hashOnPool(
            PowAlgorithm.Argon2id signedAlgorithm,
            byte[] payload,
            byte[] nonce,
            int difficulty,
            String storeKey,
            long expiresAtMillis) {
        // both are set when the challenges are Argon2id ones, the only ones hashed on the pool
        Semaphore slots = requireNonNull(hashSlots, "hashSlots");
        Executor pool = requireNonNull(hashPool, "hashPool");
        if (!slots.tryAcquire()) {
            return verdict(PowVerdict.BUSY);
        }
        CompletableFuture<Boolean> solved = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    solved.complete(solves(signedAlgorithm, payload, nonce, difficulty, slots));
                } catch (Throwable e) { // the stage must complete: fail it with whatever stopped the hash
                    solved.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException full) {
            slots.release();
            return verdict(PowVerdict.BUSY);
        }
        return solved.thenCompose(
                enough -> enough ? consume(storeKey, expiresAtMillis) : verdict(PowVerdict.INSUFFICIENT_WORK));
    }

    /** On the hash pool, holding a bulkhead slot: whether the hash has enough zero bits; gives the slot back. */
    private static boolean solves(
            PowAlgorithm.Argon2id signedAlgorithm, byte[] payload, byte[] nonce, int difficulty, Semaphore slots) {
        try {
            return LeadingZeros.atLeast(PowHash.of(signedAlgorithm, payload, nonce), difficulty);
        } finally {
            slots.release();
        }
    }

    /** Consumes the id: ACCEPTED the first time; otherwise EXPIRED or REPLAYED by the clock; UNAVAILABLE. */
    private CompletionStage<PowVerdict> consume(String storeKey, long expiresAtMillis) {
        return SingleUse.consume(store, storeKey, expiresAtMillis).handle((first, error) -> {
            if (error != null) {
                return unavailable(error);
            }
            if (first) {
                return PowVerdict.ACCEPTED;
            }
            return clock.epochMillis() >= expiresAtMillis ? PowVerdict.EXPIRED : PowVerdict.REPLAYED;
        });
    }

    /** UNAVAILABLE when the store could not answer; any other failure is a bug, passed on. */
    private static PowVerdict unavailable(Throwable error) {
        if (SingleUse.isUnavailable(error)) {
            return PowVerdict.UNAVAILABLE;
        }
        throw SingleUse.propagate(error);
    }

    @SuppressWarnings("EnumOrdinal") // VERDICTS is built from values(), in ordinal order
    private static CompletionStage<PowVerdict> verdict(PowVerdict verdict) {
        return VERDICTS.get(verdict.ordinal());
    }

    private static HmacSha256 derivedKey(byte[] secret) {
        return new HmacSha256(new HmacSha256(secret).mac(KEY_LABEL));
    }
}
