package dev.gatehouse.proof.vrf;

import static dev.gatehouse.proof.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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

    @Test
    void verify_smallOrderPublicKeyOrGamma_isRejected() {
        Set<String> smallOrder = smallOrderEncodings();
        assertThat(smallOrder).hasSize(8);
        byte[] proof = hex(FIRST, "pi");
        for (String encoding : smallOrder) {
            byte[] point = hex(encoding);
            assertThat(Ecvrf.verify(point, proof, new byte[0])).as(encoding).isEmpty();
            byte[] badGamma = proof.clone();
            System.arraycopy(point, 0, badGamma, 0, 32);
            assertThat(Ecvrf.verify(hex(FIRST, "pk"), badGamma, new byte[0])).isEmpty();
        }
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
    static Set<String> smallOrderEncodings() {
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
        Set<String> encodings = new LinkedHashSet<>();
        EdwardsPoint current = EdwardsPoint.IDENTITY;
        for (int i = 0; i < 8; i++) {
            assertThat(current.hasSmallOrder()).isTrue();
            encodings.add(hex(current.encode()));
            current = current.add(torsion);
        }
        return encodings;
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
