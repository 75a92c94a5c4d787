package dev.gatehouse.proof.sign;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class Ed25519RecordPropertiesTest {

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
