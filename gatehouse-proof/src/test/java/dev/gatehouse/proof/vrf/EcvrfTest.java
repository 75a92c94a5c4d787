package dev.gatehouse.proof.vrf;

import static dev.gatehouse.proof.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EcvrfTest {

    static Stream<JsonNode> vectors() {
        List<JsonNode> vectors = new ArrayList<>();
        Vectors.load("ecvrf-edwards25519-sha512-tai.json").get("vectors").forEach(vectors::add);
        return vectors.stream();
    }

    private static final JsonNode FIRST = vectors().findFirst().orElseThrow();

    @ParameterizedTest
    @MethodSource("vectors")
    void rfc9381Vectors_proveVerifyAndHash_reproduceEveryByte(JsonNode vector) {
        byte[] secretKey = hex(vector, "sk");
        byte[] publicKey = hex(vector, "pk");
        byte[] alpha = hex(vector, "alpha");

        assertThat(hex(Ecvrf.publicKey(secretKey))).isEqualTo(vector.get("pk").asText());
        assertThat(hex(Ecvrf.encodeToCurve(publicKey, alpha).encode()))
                .isEqualTo(vector.get("h").asText());
        byte[] proof = Ecvrf.prove(secretKey, alpha);
        assertThat(hex(proof)).isEqualTo(vector.get("pi").asText());
        assertThat(Ecvrf.verify(publicKey, proof, alpha))
                .hasValueSatisfying(beta ->
                        assertThat(hex(beta)).isEqualTo(vector.get("beta").asText()));
        assertThat(Ecvrf.proofToHash(proof))
                .hasValueSatisfying(beta ->
                        assertThat(hex(beta)).isEqualTo(vector.get("beta").asText()));
    }

    @Test
    void verify_flippedBitAnywhereInProofKeyOrInput_isRejected() {
        byte[] publicKey = hex(FIRST, "pk");
        byte[] proof = hex(FIRST, "pi");
        byte[] alpha = {0x72};
        byte[] validProof = Ecvrf.prove(hex(FIRST, "sk"), alpha);
        assertThat(Ecvrf.verify(publicKey, validProof, alpha)).isPresent();

        for (int bit = 0; bit < Ecvrf.PROOF_BYTES * 8; bit++) {
            assertThat(Ecvrf.verify(publicKey, flip(validProof, bit), alpha))
                    .as("proof bit %d", bit)
                    .isEmpty();
        }
        for (int bit = 0; bit < Ecvrf.PUBLIC_KEY_BYTES * 8; bit += 3) {
            assertThat(Ecvrf.verify(flip(publicKey, bit), validProof, alpha))
                    .as("key bit %d", bit)
                    .isEmpty();
        }
        for (int bit = 0; bit < 8; bit++) {
            assertThat(Ecvrf.verify(publicKey, validProof, flip(alpha, bit))).isEmpty();
        }
        assertThat(Ecvrf.verify(publicKey, proof, alpha)).isEmpty(); // the proof of another input
    }

    @Test
    void verify_wrongLengthsOrNull_areRejected() {
        byte[] publicKey = hex(FIRST, "pk");
        byte[] proof = hex(FIRST, "pi");
        byte[] alpha = new byte[0];

        assertThat(Ecvrf.verify(publicKey, Arrays.copyOf(proof, 79), alpha)).isEmpty();
        assertThat(Ecvrf.verify(publicKey, Arrays.copyOf(proof, 81), alpha)).isEmpty();
        assertThat(Ecvrf.verify(publicKey, new byte[0], alpha)).isEmpty();
        assertThat(Ecvrf.verify(publicKey, null, alpha)).isEmpty();
        assertThat(Ecvrf.verify(Arrays.copyOf(publicKey, 31), proof, alpha)).isEmpty();
        assertThat(Ecvrf.verify(Arrays.copyOf(publicKey, 33), proof, alpha)).isEmpty();
        assertThat(Ecvrf.verify(null, proof, alpha)).isEmpty();
        assertThat(Ecvrf.verify(publicKey, proof, null)).isEmpty();
        assertThat(Ecvrf.proofToHash(Arrays.copyOf(proof, 79))).isEmpty();
    }

    @Test
    void verify_sNotReducedModuloQ_isRejected() {
        byte[] publicKey = hex(FIRST, "pk");
        byte[] proof = hex(FIRST, "pi");
        BigInteger s = EdwardsPoint.fromLittleEndian(Arrays.copyOfRange(proof, 48, 80));
        byte[] unreduced = proof.clone();
        System.arraycopy(EdwardsPoint.toLittleEndian(s.add(EdwardsPoint.Q), 32), 0, unreduced, 48, 32);

        assertThat(Ecvrf.verify(publicKey, proof, new byte[0])).isPresent();
        assertThat(Ecvrf.verify(publicKey, unreduced, new byte[0])).isEmpty();
        assertThat(Ecvrf.proofToHash(unreduced)).isEmpty();
    }

    @Test
    void verify_nonCanonicalPointEncodings_areRejected() {
        byte[] publicKey = hex(FIRST, "pk");
        byte[] proof = hex(FIRST, "pi");
        // the key's y plus p still fits in 255 bits only when y < 19; build such encodings directly
        for (byte[] nonCanonical : nonCanonicalEncodings()) {
            assertThat(EdwardsPoint.decode(nonCanonical)).isEmpty();
            assertThat(Ecvrf.verify(nonCanonical, proof, new byte[0])).isEmpty();
            byte[] badGamma = proof.clone();
            System.arraycopy(nonCanonical, 0, badGamma, 0, 32);
            assertThat(Ecvrf.verify(publicKey, badGamma, new byte[0])).isEmpty();
        }
    }

    /*
     * Forgeries with points of small order. Under a key Y and a Gamma with c·Y = c·Gamma = identity,
     * verify's U = s·B − c·Y and V = s·H − c·Gamma are s·B and s·H, known before c; so c =
     * challenge(Y, H, Gamma, U, V) closes the loop and Gamma‖c‖s satisfies every equation of RFC 9381
     * §5.3 for any alpha. Only the small-order checks stop such a proof (satisfiesVerificationEquations
     * shows the forgery is real: it is verify without those checks).
     *
     * A small-order Gamma under an honest key (x·B, x ≠ 0 mod q) cannot be forged this way: U = s·B −
     * c·Y must be fixed before c, which forces s = k + c·x, and then V = k·H + c·(x·H − Gamma) still
     * depends on c unless Gamma = x·H, which has large order. Finding such a proof means finding a
     * 128-bit c that the hash maps back to itself, so there is no test for that case; the Gamma check
     * is a second lock on the forgeries below (each check alone rejects them).
     */

    @Test
    void verify_identityKeyAndIdentityGammaForgery_isRejected() {
        byte[] identityKey = hex("01" + "00".repeat(31));
        assertThat(identityKey).isEqualTo(EdwardsPoint.IDENTITY.encode());
        byte[] alpha = {0x72};
        BigInteger s = EdwardsPoint.Q.subtract(BigInteger.valueOf(12345));
        EdwardsPoint h = Ecvrf.encodeToCurve(identityKey, alpha);
        EdwardsPoint u = EdwardsPoint.BASE.multiply(s);
        EdwardsPoint v = h.multiply(s);
        byte[] c = challenge(EdwardsPoint.IDENTITY, h, EdwardsPoint.IDENTITY, u, v);
        byte[] forged = proof(EdwardsPoint.IDENTITY, c, s);

        assertThat(satisfiesVerificationEquations(identityKey, forged, alpha)).isTrue();
        assertThat(Ecvrf.verify(identityKey, forged, alpha)).isEmpty();
    }

    @Test
    void verify_forgeriesWithEverySmallOrderKeyAndGamma_areRejected() {
        List<EdwardsPoint> smallOrder = smallOrderPoints();
        assertThat(smallOrder).hasSize(8);
        byte[] alpha = new byte[0];
        for (EdwardsPoint key : smallOrder) {
            for (EdwardsPoint gamma : smallOrder) {
                byte[] forged = forgeWithSmallOrderPoints(key, gamma, alpha);

                assertThat(satisfiesVerificationEquations(key.encode(), forged, alpha))
                        .isTrue();
                assertThat(Ecvrf.verify(key.encode(), forged, alpha))
                        .as("key %s, gamma %s", hex(key.encode()), hex(gamma.encode()))
                        .isEmpty();
            }
        }
    }

    @Test
    void satisfiesVerificationEquations_rfc9381Vectors_holdAndTamperedFails() {
        vectors()
                .forEach(vector -> assertThat(satisfiesVerificationEquations(
                                hex(vector, "pk"), hex(vector, "pi"), hex(vector, "alpha")))
                        .isTrue());
        assertThat(satisfiesVerificationEquations(hex(FIRST, "pk"), hex(FIRST, "pi"), new byte[] {0x72}))
                .isFalse();
    }

    @Test
    void publicKey_agreesWithBouncyCastleEd25519() {
        for (int i = 0; i < 5; i++) {
            byte[] secretKey = Ecvrf.generateSecretKey();
            byte[] expected = new byte[32];
            Ed25519.generatePublicKey(secretKey, 0, expected, 0);
            assertThat(Ecvrf.publicKey(secretKey)).isEqualTo(expected);
        }
    }

    @Test
    void secretKeyOfWrongLength_isAProgrammerError() {
        assertThatThrownBy(() -> Ecvrf.prove(new byte[31], new byte[0]))
                .hasMessage("secretKey: 31 bytes (expected: 32 bytes)");
        assertThatThrownBy(() -> Ecvrf.publicKey(null)).hasMessage("secretKey: null (expected: 32 bytes)");
    }

    @Test
    void edwardsPoint_groupLaws_holdOnTheBasePoint() {
        EdwardsPoint base = EdwardsPoint.BASE;
        assertThat(base.multiply(EdwardsPoint.Q).isIdentity()).isTrue();
        assertThat(base.add(base).encode())
                .isEqualTo(base.multiply(BigInteger.TWO).encode());
        assertThat(base.subtract(base).isIdentity()).isTrue();
        assertThat(base.multiply(BigInteger.valueOf(7))
                        .add(base.multiply(BigInteger.valueOf(5)))
                        .encode())
                .isEqualTo(base.multiply(BigInteger.valueOf(12)).encode());
        assertThat(EdwardsPoint.decode(base.encode()))
                .hasValueSatisfying(decoded -> assertThat(decoded.encode()).isEqualTo(base.encode()));
    }

    /** The eight points of order dividing 8, found as the torsion part of a point outside the subgroup. */
    static List<EdwardsPoint> smallOrderPoints() {
        EdwardsPoint torsion = null;
        for (int seed = 1; torsion == null; seed++) {
            byte[] candidate = new byte[32];
            candidate[0] = (byte) seed;
            var point = EdwardsPoint.decode(candidate);
            if (point.isPresent()) {
                EdwardsPoint part = point.get().multiply(EdwardsPoint.Q);
                if (!part.multiply(BigInteger.valueOf(4)).isIdentity()) {
                    torsion = part; // order exactly 8
                }
            }
        }
        List<EdwardsPoint> points = new ArrayList<>();
        EdwardsPoint current = EdwardsPoint.IDENTITY;
        for (int i = 0; i < 8; i++) {
            assertThat(current.hasSmallOrder()).isTrue();
            points.add(current);
            current = current.add(torsion);
        }
        assertThat(points.stream().map(point -> hex(point.encode())).distinct()).hasSize(8);
        return points;
    }

    /**
     * Gamma‖c‖s with U = s·B and V = s·H, stepping s until c·key and c·gamma are the identity (for
     * points of order dividing 8, c·P = (c mod 8)·P; about eight tries, the first when both are the
     * identity).
     */
    private static byte[] forgeWithSmallOrderPoints(EdwardsPoint key, EdwardsPoint gamma, byte[] alpha) {
        EdwardsPoint h = Ecvrf.encodeToCurve(key.encode(), alpha);
        BigInteger s = BigInteger.ONE;
        EdwardsPoint u = EdwardsPoint.BASE;
        EdwardsPoint v = h;
        while (true) {
            byte[] c = challenge(key, h, gamma, u, v);
            BigInteger cModEight = EdwardsPoint.fromLittleEndian(c).mod(BigInteger.valueOf(8));
            if (key.multiply(cModEight).isIdentity()
                    && gamma.multiply(cModEight).isIdentity()) {
                return proof(gamma, c, s);
            }
            s = s.add(BigInteger.ONE);
            u = u.add(EdwardsPoint.BASE);
            v = v.add(h);
        }
    }

    /**
     * RFC 9381 §5.3 steps 4-9 without key validation or the small-order Gamma check: whether c =
     * challenge(Y, H, Gamma, s·B − c·Y, s·H − c·Gamma). Written out here so a forgery's validity does not
     * rest on the code under test.
     */
    private static boolean satisfiesVerificationEquations(byte[] publicKey, byte[] proof, byte[] alpha) {
        EdwardsPoint y = EdwardsPoint.decode(publicKey).orElseThrow();
        EdwardsPoint gamma = EdwardsPoint.decode(Arrays.copyOf(proof, 32)).orElseThrow();
        byte[] c = Arrays.copyOfRange(proof, 32, 48);
        BigInteger cScalar = EdwardsPoint.fromLittleEndian(c);
        BigInteger s = EdwardsPoint.fromLittleEndian(Arrays.copyOfRange(proof, 48, 80));
        EdwardsPoint h = Ecvrf.encodeToCurve(publicKey, alpha);
        EdwardsPoint u = EdwardsPoint.BASE.multiply(s).subtract(y.multiply(cScalar));
        EdwardsPoint v = h.multiply(s).subtract(gamma.multiply(cScalar));
        return s.compareTo(EdwardsPoint.Q) < 0 && Arrays.equals(challenge(y, h, gamma, u, v), c);
    }

    /** ECVRF_challenge_generation (RFC 9381 §5.4.3): SHA-512(0x03 ‖ 0x02 ‖ points ‖ 0x00), first 16 bytes. */
    private static byte[] challenge(EdwardsPoint... points) {
        MessageDigest sha512 = sha512();
        sha512.update((byte) 0x03); // suite ECVRF-EDWARDS25519-SHA512-TAI
        sha512.update((byte) 0x02); // challenge_generation_domain_separator_front
        for (EdwardsPoint point : points) {
            sha512.update(point.encode());
        }
        sha512.update((byte) 0x00); // challenge_generation_domain_separator_back
        return Arrays.copyOf(sha512.digest(), 16);
    }

    private static byte[] proof(EdwardsPoint gamma, byte[] c, BigInteger s) {
        byte[] proof = new byte[Ecvrf.PROOF_BYTES];
        System.arraycopy(gamma.encode(), 0, proof, 0, 32);
        System.arraycopy(c, 0, proof, 32, 16);
        System.arraycopy(EdwardsPoint.toLittleEndian(s, 32), 0, proof, 48, 32);
        return proof;
    }

    private static MessageDigest sha512() {
        try {
            return MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Encodings with y >= p (y = p + 0 ... p + 18, both signs) and the "negative zero" x of y = ±1. */
    static List<byte[]> nonCanonicalEncodings() {
        List<byte[]> encodings = new ArrayList<>();
        for (int offset = 0; offset < 19; offset++) {
            byte[] encoded = EdwardsPoint.toLittleEndian(EdwardsPoint.P.add(BigInteger.valueOf(offset)), 32);
            encodings.add(encoded);
            byte[] negative = encoded.clone();
            negative[31] |= (byte) 0x80;
            encodings.add(negative);
        }
        byte[] negativeZeroIdentity = EdwardsPoint.IDENTITY.encode();
        negativeZeroIdentity[31] |= (byte) 0x80;
        encodings.add(negativeZeroIdentity);
        byte[] negativeZeroMinusOne = EdwardsPoint.toLittleEndian(EdwardsPoint.P.subtract(BigInteger.ONE), 32);
        negativeZeroMinusOne[31] |= (byte) 0x80;
        encodings.add(negativeZeroMinusOne);
        return encodings;
    }

    private static byte[] flip(byte[] bytes, int bit) {
        byte[] copy = bytes.clone();
        copy[bit / 8] ^= (byte) (1 << (bit % 8));
        return copy;
    }
}
