package dev.gatehouse.proof.vrf;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A point of the twisted Edwards curve edwards25519 (−x² + y² = 1 + d·x²·y² over GF(2^255 − 19)) in
 * extended homogeneous coordinates, with the encoding and the addition formulas of RFC 8032.
 */
final class EdwardsPoint {

    /*
     * Design: plain BigInteger arithmetic, written for correctness and review rather than speed:
     * BouncyCastle's Ed25519 class keeps its point arithmetic private, and ECVRF is not a hot path
     * (one proof per draw, one verification per visitor who checks). Trade-off: BigInteger operations
     * and double-and-add take time that depends on the scalar, so an attacker who can time many
     * proofs made with one key learns about that key. A draw makes one proof, at a time the operator
     * chooses, which makes that attack impractical here; do not reuse this class for high-volume
     * signing.
     *
     * Extended coordinates (X:Y:Z:T) stand for x = X/Z, y = Y/Z, x·y = T/Z; the addition formula is
     * complete (valid for doubling, the identity and small-order points alike).
     */

    static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    /** The order of the prime-order subgroup, 2^252 + 27742317777372353535851937790883648493. */
    static final BigInteger Q = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));

    static final int ENCODED_BYTES = 32;

    private static final BigInteger D = BigInteger.valueOf(-121665)
            .multiply(BigInteger.valueOf(121666).modInverse(P))
            .mod(P);
    private static final BigInteger TWO_D = D.shiftLeft(1).mod(P);
    private static final BigInteger SQRT_MINUS_ONE =
            BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);
    private static final BigInteger SQRT_EXPONENT =
            P.subtract(BigInteger.valueOf(5)).shiftRight(3);

    static final EdwardsPoint IDENTITY =
            new EdwardsPoint(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO);
    /** The base point B: y = 4/5, x even. */
    static final EdwardsPoint BASE = decode(
                    HexFormat.of().parseHex("5866666666666666666666666666666666666666666666666666666666666666"))
            .orElseThrow();

    private final BigInteger x;
    private final BigInteger y;
    private final BigInteger z;
    private final BigInteger t;

    private EdwardsPoint(BigInteger x, BigInteger y, BigInteger z, BigInteger t) {
        this.x = x;
        this.y = y;
        this.z = z;
        this.t = t;
    }

    /**
     * Decodes 32 bytes per RFC 8032 §5.1.3: empty when the length is wrong, y ≥ p (non-canonical), no
     * x exists, or x = 0 with the sign bit set.
     */
    static Optional<EdwardsPoint> decode(byte[] encoded) {
        if (encoded == null || encoded.length != ENCODED_BYTES) {
            return Optional.empty();
        }
        byte[] littleEndian = encoded.clone();
        int sign = (littleEndian[31] >>> 7) & 1;
        littleEndian[31] &= 0x7f;
        BigInteger y = fromLittleEndian(littleEndian);
        if (y.compareTo(P) >= 0) {
            return Optional.empty();
        }
        BigInteger ySquared = y.multiply(y).mod(P);
        BigInteger u = ySquared.subtract(BigInteger.ONE).mod(P);
        BigInteger v = D.multiply(ySquared).add(BigInteger.ONE).mod(P);
        BigInteger v3 = v.multiply(v).multiply(v).mod(P);
        BigInteger v7 = v3.multiply(v3).multiply(v).mod(P);
        BigInteger x = u.multiply(v3)
                .multiply(u.multiply(v7).mod(P).modPow(SQRT_EXPONENT, P))
                .mod(P);
        BigInteger vxSquared = v.multiply(x).multiply(x).mod(P);
        if (!vxSquared.equals(u)) {
            if (!vxSquared.equals(P.subtract(u).mod(P))) {
                return Optional.empty();
            }
            x = x.multiply(SQRT_MINUS_ONE).mod(P);
        }
        if (x.signum() == 0 && sign == 1) {
            return Optional.empty();
        }
        if (x.testBit(0) != (sign == 1)) {
            x = P.subtract(x);
        }
        return Optional.of(new EdwardsPoint(x, y, BigInteger.ONE, x.multiply(y).mod(P)));
    }

    /** The canonical 32-byte encoding (RFC 8032 §5.1.2). */
    byte[] encode() {
        BigInteger inverse = z.modInverse(P);
        BigInteger affineX = x.multiply(inverse).mod(P);
        BigInteger affineY = y.multiply(inverse).mod(P);
        byte[] encoded = toLittleEndian(affineY, ENCODED_BYTES);
        if (affineX.testBit(0)) {
            encoded[31] |= (byte) 0x80;
        }
        return encoded;
    }

    EdwardsPoint add(EdwardsPoint other) {
        BigInteger a = y.subtract(x).multiply(other.y.subtract(other.x)).mod(P);
        BigInteger b = y.add(x).multiply(other.y.add(other.x)).mod(P);
        BigInteger c = t.multiply(TWO_D).multiply(other.t).mod(P);
        BigInteger d = z.shiftLeft(1).multiply(other.z).mod(P);
        BigInteger e = b.subtract(a);
        BigInteger f = d.subtract(c);
        BigInteger g = d.add(c);
        BigInteger h = b.add(a);
        return new EdwardsPoint(
                e.multiply(f).mod(P),
                g.multiply(h).mod(P),
                f.multiply(g).mod(P),
                e.multiply(h).mod(P));
    }

    EdwardsPoint negate() {
        return new EdwardsPoint(P.subtract(x).mod(P), y, z, P.subtract(t).mod(P));
    }

    EdwardsPoint subtract(EdwardsPoint other) {
        return add(other.negate());
    }

    /** {@code scalar}·this, for a non-negative scalar. */
    EdwardsPoint multiply(BigInteger scalar) {
        EdwardsPoint result = IDENTITY;
        for (int bit = scalar.bitLength() - 1; bit >= 0; bit--) {
            result = result.add(result);
            if (scalar.testBit(bit)) {
                result = result.add(this);
            }
        }
        return result;
    }

    /** 8·this: clears the cofactor. */
    EdwardsPoint timesCofactor() {
        EdwardsPoint twice = add(this);
        EdwardsPoint four = twice.add(twice);
        return four.add(four);
    }

    boolean isIdentity() {
        return x.mod(P).signum() == 0 && y.subtract(z).mod(P).signum() == 0;
    }

    /** Whether 8·this is the identity: the point lies in the small (torsion) subgroup. */
    boolean hasSmallOrder() {
        return timesCofactor().isIdentity();
    }

    static BigInteger fromLittleEndian(byte[] bytes) {
        byte[] bigEndian = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            bigEndian[i] = bytes[bytes.length - 1 - i];
        }
        return new BigInteger(1, bigEndian);
    }

    static byte[] toLittleEndian(BigInteger value, int length) {
        byte[] out = new byte[length];
        byte[] bigEndian = value.toByteArray();
        for (int i = 0; i < length && i < bigEndian.length; i++) {
            out[i] = bigEndian[bigEndian.length - 1 - i];
        }
        return out;
    }
}
