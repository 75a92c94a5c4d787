package dev.gatehouse.proof.sign;

import static dev.gatehouse.proof.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class Ed25519RecordTest {

    /** The order of the Ed25519 base point, L = 2^252 + 27742317777372353535851937790883648493. */
    private static final BigInteger ORDER_L =
            BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));

    static Stream<JsonNode> vectors() {
        List<JsonNode> vectors = new ArrayList<>();
        Vectors.load("ed25519.json").get("vectors").forEach(vectors::add);
        return vectors.stream();
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void rfc8032Vectors_publicKeyAndSignature_matchAndVerify(JsonNode vector) {
        SigningKey key = SigningKey.fromSeed(hex(vector, "sk"));
        byte[] message = hex(vector, "msg");

        assertThat(hex(key.publicKey())).isEqualTo(vector.get("pk").asText());
        assertThat(hex(key.sign(message))).isEqualTo(vector.get("sig").asText());
        VerifyingKey verifier = VerifyingKey.fromRaw(hex(vector, "pk")).orElseThrow();
        assertThat(verifier.verify(message, hex(vector, "sig"))).isTrue();
        assertThat(verifier.raw()).isEqualTo(key.publicKey());
    }

    @Test
    void signedRecord_roundTrips_andTamperingFails() {
        SigningKey key = SigningKey.fromSeed(SigningKey.generateSeed());
        byte[] body = "{\"room\":\"concert\",\"root\":\"ab\"}".getBytes(StandardCharsets.UTF_8);
        SignedRecord record = key.signRecord(body);
        VerifyingKey verifier = key.verifyingKey();

        assertThat(verifier.verify(record)).isTrue();
        byte[] altered = body.clone();
        altered[3] ^= 1;
        assertThat(verifier.verify(new SignedRecord(altered, record.signature())))
                .isFalse();
        assertThat(SigningKey.fromSeed(SigningKey.generateSeed()).verifyingKey().verify(record))
                .isFalse();
    }

    @Test
    void malformedKeysAndSignatures_areRejectedWithoutThrowing() {
        JsonNode vector = vectors().findFirst().orElseThrow();
        VerifyingKey verifier = VerifyingKey.fromRaw(hex(vector, "pk")).orElseThrow();
        byte[] signature = hex(vector, "sig");

        assertThat(VerifyingKey.fromRaw(null)).isEmpty();
        assertThat(VerifyingKey.fromRaw(new byte[31])).isEmpty();
        assertThat(VerifyingKey.fromRaw(hex("0100000000000000000000000000000000000000000000000000000000000000")))
                .isEmpty(); // the identity: small order
        assertThat(VerifyingKey.fromRaw(hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")))
                .isEmpty(); // y = p: non-canonical
        assertThat(verifier.verify(new byte[0], new byte[63])).isFalse();
        assertThat(verifier.verify(new byte[0], null)).isFalse();
        assertThat(verifier.verify(null, signature)).isFalse();
    }

    @Test
    void verify_signatureWithSPlusL_isRejectedAsMalleable() {
        SigningKey key = SigningKey.fromSeed(new byte[32]);
        byte[] message = "{\"room\":\"concert\"}".getBytes(StandardCharsets.UTF_8);
        byte[] signature = key.sign(message);
        BigInteger s = fromLittleEndian(Arrays.copyOfRange(signature, 32, 64));
        BigInteger sPlusL = s.add(ORDER_L);
        assertThat(sPlusL.bitLength()).isLessThanOrEqualTo(253); // still fits the 32-byte S field
        byte[] malleated = signature.clone();
        System.arraycopy(toLittleEndian(sPlusL), 0, malleated, 32, 32);

        assertThat(key.verifyingKey().verify(message, signature)).isTrue();
        assertThat(key.verifyingKey().verify(message, malleated)).isFalse();
    }

    @Test
    void badSeedsAndOversizedRecords_areProgrammerErrors() {
        assertThatThrownBy(() -> SigningKey.fromSeed(new byte[31])).hasMessage("seed: 31 bytes (expected: 32 bytes)");
        SigningKey key = SigningKey.fromSeed(new byte[32]);
        assertThatThrownBy(() -> key.signRecord(new byte[SignedRecord.MAX_BODY_BYTES + 1]))
                .hasMessage("bodyBytes: 65537 (expected: 0 <= bodyBytes <= 65536)");
    }

    private static BigInteger fromLittleEndian(byte[] littleEndian) {
        byte[] bigEndian = littleEndian.clone();
        for (int i = 0; i < bigEndian.length / 2; i++) {
            byte swap = bigEndian[i];
            bigEndian[i] = bigEndian[bigEndian.length - 1 - i];
            bigEndian[bigEndian.length - 1 - i] = swap;
        }
        return new BigInteger(1, bigEndian);
    }

    private static byte[] toLittleEndian(BigInteger value) {
        byte[] littleEndian = new byte[32];
        for (int i = 0; i < 32; i++) {
            littleEndian[i] = value.shiftRight(8 * i).byteValue();
        }
        return littleEndian;
    }
}
