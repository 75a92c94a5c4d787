package dev.gatehouse.proof.vrf;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

/**
 * The verifiable random function ECVRF-EDWARDS25519-SHA512-TAI of RFC 9381: whoever holds the secret
 * key turns an input into a 64-byte output and a proof, and anyone with the public key can check that
 * the output is the only one the key could have produced for that input. Never use a VRF secret key
 * as the seed of an Ed25519 signing key as well: the ECVRF nonce for alpha equals Ed25519's nonce for
 * the 32-byte message encode_to_curve(publicKey, alpha), so one signature of that message and one
 * proof for alpha reveal the key.
 */
public final class Ecvrf {

    /*
     * Design: a literal transcription of RFC 9381 §5 for suite 0x03, with encode_to_curve by
     * try-and-increment (§5.4.1.1), nonces per RFC 8032 (§5.4.2.2), and the challenge hash over the
     * public key and four points (§5.4.3; earlier drafts omitted the key, and their proofs differ).
     * Keys are Ed25519 keys: the 32-byte secret is an RFC 8032 seed, the public key its Ed25519 key.
     *
     * Verification runs ECVRF_validate_key (§5.4.5): public keys of small order are rejected, so no
     * one can publish a key under which many outputs verify. Points must use RFC 8032's canonical
     * encoding (y < p, and no "negative zero" x). A Gamma of small order is rejected as well; an honest
     * proof never has one, because Gamma = x·H with H in the prime-order subgroup.
     *
     * Inputs that come from the network (public key, proof) give an empty result when malformed; only
     * a secret key of the wrong length, which is the caller's own, throws.
     */

    /** The length of a secret key (an Ed25519 seed). */
    public static final int SECRET_KEY_BYTES = 32;
    /** The length of a public key. */
    public static final int PUBLIC_KEY_BYTES = 32;
    /** The length of a proof: Gamma (32), c (16), s (32). */
    public static final int PROOF_BYTES = 80;
    /** The length of an output (beta). */
    public static final int OUTPUT_BYTES = 64;

    private static final byte SUITE = 0x03;
    private static final byte ENCODE_TO_CURVE_FRONT = 0x01;
    private static final byte CHALLENGE_FRONT = 0x02;
    private static final byte PROOF_TO_HASH_FRONT = 0x03;
    private static final byte BACK = 0x00;
    private static final int CHALLENGE_BYTES = 16;
    private static final int SCALAR_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ecvrf() {}

    /** A fresh random secret key. */
    public static byte[] generateSecretKey() {
        byte[] secretKey = new byte[SECRET_KEY_BYTES];
        RANDOM.nextBytes(secretKey);
        return secretKey;
    }

    /** The public key of {@code secretKey32} (the same as its Ed25519 public key). */
    public static byte[] publicKey(byte[] secretKey32) {
        return EdwardsPoint.BASE.multiply(secretScalar(expand(secretKey32))).encode();
    }

    /** The 80-byte proof for {@code alpha} under {@code secretKey32} (RFC 9381 §5.1). */
    public static byte[] prove(byte[] secretKey32, byte[] alpha) {
        byte[] expanded = expand(secretKey32);
        BigInteger x = secretScalar(expanded);
        byte[] publicKey = EdwardsPoint.BASE.multiply(x).encode();
        EdwardsPoint h = encodeToCurve(publicKey, alpha);
        byte[] hString = h.encode();
        EdwardsPoint gamma = h.multiply(x);
        BigInteger k = nonce(expanded, hString);
        byte[] c = challenge(
                publicKey,
                hString,
                gamma.encode(),
                EdwardsPoint.BASE.multiply(k).encode(),
                h.multiply(k).encode());
        BigInteger s = k.add(EdwardsPoint.fromLittleEndian(c).multiply(x)).mod(EdwardsPoint.Q);
        byte[] proof = new byte[PROOF_BYTES];
        System.arraycopy(gamma.encode(), 0, proof, 0, EdwardsPoint.ENCODED_BYTES);
        System.arraycopy(c, 0, proof, EdwardsPoint.ENCODED_BYTES, CHALLENGE_BYTES);
        System.arraycopy(
                EdwardsPoint.toLittleEndian(s, SCALAR_BYTES),
                0,
                proof,
                EdwardsPoint.ENCODED_BYTES + CHALLENGE_BYTES,
                SCALAR_BYTES);
        return proof;
    }

    /**
     * The 64-byte output (beta) if {@code proof} is valid for {@code alpha} under {@code publicKey32}
     * (RFC 9381 §5.3, with key validation); empty for any invalid or malformed input.
     */
    public static Optional<byte[]> verify(byte[] publicKey32, byte[] proof, byte[] alpha) {
        if (alpha == null) {
            return Optional.empty();
        }
        Optional<EdwardsPoint> key = EdwardsPoint.decode(publicKey32);
        if (key.isEmpty() || key.get().hasSmallOrder()) {
            return Optional.empty();
        }
        Optional<DecodedProof> decoded = decodeProof(proof);
        if (decoded.isEmpty()) {
            return Optional.empty();
        }
        EdwardsPoint y = key.get();
        EdwardsPoint gamma = decoded.get().gamma();
        BigInteger c = decoded.get().c();
        BigInteger s = decoded.get().s();
        EdwardsPoint h = encodeToCurve(publicKey32, alpha);
        EdwardsPoint u = EdwardsPoint.BASE.multiply(s).subtract(y.multiply(c));
        EdwardsPoint v = h.multiply(s).subtract(gamma.multiply(c));
        byte[] expected = challenge(publicKey32, h.encode(), Arrays.copyOf(proof, 32), u.encode(), v.encode());
        byte[] actual = Arrays.copyOfRange(proof, 32, 32 + CHALLENGE_BYTES);
        if (!MessageDigest.isEqual(expected, actual)) {
            return Optional.empty();
        }
        return Optional.of(outputOf(gamma));
    }

    /**
     * The output (beta) a proof carries (RFC 9381 §5.2), without checking the proof; empty when the
     * proof cannot be decoded. Use {@link #verify} for anything received.
     */
    public static Optional<byte[]> proofToHash(byte[] proof) {
        return decodeProof(proof).map(decoded -> outputOf(decoded.gamma()));
    }

    /** ECVRF_encode_to_curve_try_and_increment (RFC 9381 §5.4.1.1); package-private for tests. */
    static EdwardsPoint encodeToCurve(byte[] publicKey, byte[] alpha) {
        MessageDigest sha512 = sha512();
        for (int counter = 0; counter <= 0xff; counter++) {
            sha512.update(SUITE);
            sha512.update(ENCODE_TO_CURVE_FRONT);
            sha512.update(publicKey);
            sha512.update(alpha);
            sha512.update((byte) counter);
            sha512.update(BACK);
            byte[] candidate = Arrays.copyOf(sha512.digest(), EdwardsPoint.ENCODED_BYTES);
            Optional<EdwardsPoint> point = EdwardsPoint.decode(candidate);
            if (point.isPresent()) {
                return point.get().timesCofactor();
            }
        }
        // Each try succeeds with probability about 1/2; 256 failures in a row do not happen.
        throw new IllegalStateException("encode_to_curve found no point in 256 tries");
    }

    private record DecodedProof(EdwardsPoint gamma, BigInteger c, BigInteger s) {}

    /** ECVRF_decode_proof (RFC 9381 §5.4.4), also rejecting a Gamma of small order. */
    private static Optional<DecodedProof> decodeProof(byte[] proof) {
        if (proof == null || proof.length != PROOF_BYTES) {
            return Optional.empty();
        }
        Optional<EdwardsPoint> gamma = EdwardsPoint.decode(Arrays.copyOf(proof, EdwardsPoint.ENCODED_BYTES));
        if (gamma.isEmpty() || gamma.get().hasSmallOrder()) {
            return Optional.empty();
        }
        int sOffset = EdwardsPoint.ENCODED_BYTES + CHALLENGE_BYTES;
        BigInteger c = EdwardsPoint.fromLittleEndian(Arrays.copyOfRange(proof, EdwardsPoint.ENCODED_BYTES, sOffset));
        BigInteger s = EdwardsPoint.fromLittleEndian(Arrays.copyOfRange(proof, sOffset, PROOF_BYTES));
        if (s.compareTo(EdwardsPoint.Q) >= 0) {
            return Optional.empty();
        }
        return Optional.of(new DecodedProof(gamma.get(), c, s));
    }

    /** ECVRF_proof_to_hash's last step: SHA-512(suite ‖ 0x03 ‖ encode(8·Gamma) ‖ 0x00). */
    private static byte[] outputOf(EdwardsPoint gamma) {
        MessageDigest sha512 = sha512();
        sha512.update(SUITE);
        sha512.update(PROOF_TO_HASH_FRONT);
        sha512.update(gamma.timesCofactor().encode());
        sha512.update(BACK);
        return sha512.digest();
    }

    /** ECVRF_challenge_generation (RFC 9381 §5.4.3): the first 16 bytes of the hash. */
    private static byte[] challenge(byte[]... points) {
        MessageDigest sha512 = sha512();
        sha512.update(SUITE);
        sha512.update(CHALLENGE_FRONT);
        for (byte[] point : points) {
            sha512.update(point);
        }
        sha512.update(BACK);
        return Arrays.copyOf(sha512.digest(), CHALLENGE_BYTES);
    }

    /** ECVRF_nonce_generation_RFC8032 (RFC 9381 §5.4.2.2). */
    private static BigInteger nonce(byte[] expandedKey, byte[] hString) {
        MessageDigest sha512 = sha512();
        sha512.update(expandedKey, 32, 32);
        sha512.update(hString);
        return EdwardsPoint.fromLittleEndian(sha512.digest()).mod(EdwardsPoint.Q);
    }

    /** SHA-512 of the secret key, as in RFC 8032 §5.1.5. */
    private static byte[] expand(byte[] secretKey32) {
        if (secretKey32 == null || secretKey32.length != SECRET_KEY_BYTES) {
            throw new IllegalArgumentException("secretKey: "
                    + (secretKey32 == null ? "null" : secretKey32.length + " bytes")
                    + " (expected: " + SECRET_KEY_BYTES + " bytes)");
        }
        return sha512().digest(secretKey32);
    }

    /** The clamped secret scalar x from the first half of the expanded key. */
    private static BigInteger secretScalar(byte[] expandedKey) {
        byte[] scalar = Arrays.copyOf(expandedKey, 32);
        scalar[0] &= (byte) 0xf8;
        scalar[31] &= 0x7f;
        scalar[31] |= 0x40;
        return EdwardsPoint.fromLittleEndian(scalar);
    }

    private static MessageDigest sha512() {
        try {
            return MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is required of every Java platform", e);
        }
    }
}
