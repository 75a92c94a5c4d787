package dev.gatehouse.proof.pow;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.internal.Base64Url;
import dev.gatehouse.proof.internal.Hex;
import dev.gatehouse.proof.internal.HmacSha256;
import dev.gatehouse.proof.internal.LeadingZeros;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.nonce.NonceStoreUnavailableException;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Semaphore;

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
     */

    private static final byte KIND_SHA256 = 1;
    private static final byte KIND_ARGON2ID = 2;
    private static final int MAC_BYTES = 16;
    private static final int HEADER_BYTES = 1 + 1 + 8;
    private static final int ARGON2_PARAMETER_BYTES = 4 + 1 + 1;
    private static final String STORE_PREFIX = "pow:";
    private static final byte[] KEY_LABEL = "gatehouse proof-of-work challenge v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long ARGON2_MEMORY_BUDGET_KIB = 256L * 1024;

    private final PowSpec spec;
    private final PowAlgorithm algorithm;
    private final NonceStore store;
    private final WallClock clock;
    private final HmacSha256 currentKey;
    private final HmacSha256 previousKey;
    private final byte kind;
    private final int idBytes;
    private final Semaphore hashSlots;

    SignedProofOfWork(PowSpec spec, PowAlgorithm algorithm, HmacSecrets secrets, NonceStore store, WallClock clock) {
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
        this.hashSlots = algorithm instanceof PowAlgorithm.Argon2id argon2id
                ? new Semaphore((int) Math.clamp(
                        ARGON2_MEMORY_BUDGET_KIB / argon2id.memoryKiB(),
                        1,
                        4L * Runtime.getRuntime().availableProcessors()))
                : null;
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
    public PowVerdict verifyHex(String id, String nonceHex) {
        Optional<byte[]> nonce = Hex.decode(nonceHex, MAX_NONCE_BYTES);
        return nonce.isEmpty() ? PowVerdict.BAD_NONCE : verify(id, nonce.get());
    }

    @Override
    public PowVerdict verify(String id, byte[] nonce) {
        if (id == null || id.length() > MAX_ID_CHARS) {
            return PowVerdict.MALFORMED_ID;
        }
        byte[] bytes = Base64Url.decode(id).orElse(null);
        if (bytes == null || bytes.length != idBytes || bytes[0] != kind) {
            return PowVerdict.MALFORMED_ID;
        }
        if (nonce == null || nonce.length == 0 || nonce.length > MAX_NONCE_BYTES) {
            return PowVerdict.BAD_NONCE;
        }
        int signedBytes = idBytes - MAC_BYTES;
        byte[] mac = Arrays.copyOfRange(bytes, signedBytes, idBytes);
        if (!currentKey.matches(bytes, 0, signedBytes, mac)
                && (previousKey == null || !previousKey.matches(bytes, 0, signedBytes, mac))) {
            return PowVerdict.BAD_SIGNATURE;
        }
        ByteBuffer fields = ByteBuffer.wrap(bytes, 1, signedBytes - 1);
        int difficulty = fields.get() & 0xff;
        long expiresAtMillis = fields.getLong();
        if (clock.epochMillis() >= expiresAtMillis) {
            return PowVerdict.EXPIRED;
        }
        PowAlgorithm signedAlgorithm = algorithm;
        if (kind == KIND_ARGON2ID) {
            try {
                signedAlgorithm = new PowAlgorithm.Argon2id(fields.getInt(), fields.get() & 0xff, fields.get() & 0xff);
            } catch (IllegalArgumentException e) {
                return PowVerdict.MALFORMED_ID; // signed before the caps were lowered
            }
        }
        byte[] payload = new byte[PAYLOAD_BYTES];
        fields.get(payload);
        String storeKey = STORE_PREFIX + id;
        try {
            if (hashSlots == null) {
                return finish(signedAlgorithm, payload, nonce, difficulty, storeKey, expiresAtMillis);
            }
            if (store.contains(storeKey)) {
                return PowVerdict.REPLAYED;
            }
            if (!hashSlots.tryAcquire()) {
                return PowVerdict.BUSY;
            }
            try {
                return finish(signedAlgorithm, payload, nonce, difficulty, storeKey, expiresAtMillis);
            } finally {
                hashSlots.release();
            }
        } catch (NonceStoreUnavailableException e) {
            return PowVerdict.UNAVAILABLE;
        }
    }

    /** Checks the work, then consumes the id. */
    private PowVerdict finish(
            PowAlgorithm signedAlgorithm,
            byte[] payload,
            byte[] nonce,
            int difficulty,
            String storeKey,
            long expiresAtMillis) {
        if (!LeadingZeros.atLeast(PowHash.of(signedAlgorithm, payload, nonce), difficulty)) {
            return PowVerdict.INSUFFICIENT_WORK;
        }
        if (store.putIfAbsent(storeKey, expiresAtMillis)) {
            return PowVerdict.ACCEPTED;
        }
        return clock.epochMillis() >= expiresAtMillis ? PowVerdict.EXPIRED : PowVerdict.REPLAYED;
    }

    private static HmacSha256 derivedKey(byte[] secret) {
        return new HmacSha256(new HmacSha256(secret).mac(KEY_LABEL));
    }
}
