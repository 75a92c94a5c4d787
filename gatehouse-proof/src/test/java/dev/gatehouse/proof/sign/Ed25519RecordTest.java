package dev.gatehouse.proof.sign;

import static dev.gatehouse.proof.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.proof.Vectors;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class Ed25519RecordTest {

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
        byte[] sPlusL = signature.clone();
        sPlusL[63] ^= 0x70; // pushes S far above L
        assertThat(verifier.verify(new byte[0], sPlusL)).isFalse();
    }

    @Test
    void badSeedsAndOversizedRecords_areProgrammerErrors() {
        assertThatThrownBy(() -> SigningKey.fromSeed(new byte[31])).hasMessage("seed: 31 bytes (expected: 32 bytes)");
        SigningKey key = SigningKey.fromSeed(new byte[32]);
        assertThatThrownBy(() -> key.signRecord(new byte[SignedRecord.MAX_BODY_BYTES + 1]))
                .hasMessage("bodyBytes: 65537 (expected: 0 <= bodyBytes <= 65536)");
    }

    @Property(tries = 100)
    void anyFlippedBitOfMessageOrSignature_failsVerification(
            @ForAll @Size(min = 1, max = 200) byte[] message,
            @ForAll @IntRange(min = 0, max = 1_599) int rawBit,
            @ForAll @Size(32) byte[] seed) {
        SigningKey key = SigningKey.fromSeed(seed);
        byte[] signature = key.sign(message);
        VerifyingKey verifier = key.verifyingKey();
        assertThat(verifier.verify(message, signature)).isTrue();

        int bit = rawBit % ((message.length + signature.length) * 8);
        byte[] badMessage = message.clone();
        byte[] badSignature = signature.clone();
        if (bit < signature.length * 8) {
            badSignature[bit / 8] ^= (byte) (1 << (bit % 8));
        } else {
            bit -= signature.length * 8;
            badMessage[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        assertThat(verifier.verify(badMessage, badSignature)).isFalse();
    }
}
