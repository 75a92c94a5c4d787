package dev.gatehouse.proof.vrf;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class EcvrfPropertiesTest {

    @Property(tries = 15)
    void anyKeyAndInput_proofVerifiesToItsHashAndAnyFlippedBitFails(
            @ForAll @Size(32) byte[] secretKey,
            @ForAll @Size(max = 64) byte[] alpha,
            @ForAll @IntRange(min = 0, max = Ecvrf.PROOF_BYTES * 8 - 1) int bit) {
        byte[] publicKey = Ecvrf.publicKey(secretKey);
        byte[] proof = Ecvrf.prove(secretKey, alpha);

        byte[] beta = Ecvrf.verify(publicKey, proof, alpha).orElseThrow();
        assertThat(beta)
                .hasSize(Ecvrf.OUTPUT_BYTES)
                .isEqualTo(Ecvrf.proofToHash(proof).orElseThrow());
        assertThat(Ecvrf.prove(secretKey, alpha)).isEqualTo(proof);

        byte[] tampered = proof.clone();
        tampered[bit / 8] ^= (byte) (1 << (bit % 8));
        assertThat(Ecvrf.verify(publicKey, tampered, alpha)).isEmpty();
    }
}
