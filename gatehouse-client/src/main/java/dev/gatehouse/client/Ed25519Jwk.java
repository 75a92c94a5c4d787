package dev.gatehouse.client;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Map;

/**
 * An Ed25519 public key read from a JWK (RFC 8037: {@code kty} OKP, {@code crv} Ed25519, {@code x}
 * the raw 32 bytes) into the JDK's key. The encoding is checked as RFC 8032 decodes it: {@code y}
 * below p, and a point of the curve; a key that fails is refused with the reason.
 */
final class Ed25519Jwk {

    static final int KEY_BYTES = 32;

    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final BigInteger D = BigInteger.valueOf(-121665)
            .multiply(BigInteger.valueOf(121666).modInverse(P))
            .mod(P);
    private static final BigInteger HALF_P = P.subtract(BigInteger.ONE).shiftRight(1);

    private Ed25519Jwk() {}

    /** A JWK that is not a usable Ed25519 signing key, with why. */
    static final class Unusable extends Exception {
        private static final long serialVersionUID = 1L;

        Unusable(String reason) {
            super(reason, null, false, false);
        }
    }

    /** A key of a set: its id, its {@code x} as sent, and the JDK's key. */
    record Key(String kid, String x, PublicKey publicKey) {}

    static Key read(Object jwk) throws Unusable {
        if (!(jwk instanceof Map<?, ?> members)) {
            throw new Unusable("not a JSON object");
        }
        if (!"OKP".equals(members.get("kty")) || !"Ed25519".equals(members.get("crv"))) {
            throw new Unusable("not an Ed25519 key (kty OKP, crv Ed25519)");
        }
        Object alg = members.get("alg");
        if (alg != null && !"EdDSA".equals(alg)) {
            throw new Unusable("alg is not EdDSA");
        }
        Object use = members.get("use");
        if (use != null && !"sig".equals(use)) {
            throw new Unusable("use is not sig");
        }
        if (!(members.get("kid") instanceof String kid) || kid.isEmpty()) {
            throw new Unusable("no kid");
        }
        if (!(members.get("x") instanceof String x)) {
            throw new Unusable("no x");
        }
        byte[] raw = Base64Url.decode(x);
        if (raw == null || raw.length != KEY_BYTES) {
            throw new Unusable("x is not 32 bytes of canonical base64url");
        }
        return new Key(kid, x, publicKey(raw));
    }

    /** The JDK's key of the RFC 8032 encoding {@code raw}: y little-endian, the top bit the sign of x. */
    static PublicKey publicKey(byte[] raw) throws Unusable {
        boolean xOdd = (raw[KEY_BYTES - 1] & 0x80) != 0;
        byte[] bigEndian = new byte[KEY_BYTES];
        for (int i = 0; i < KEY_BYTES; i++) {
            bigEndian[i] = raw[KEY_BYTES - 1 - i];
        }
        bigEndian[0] &= 0x7f;
        BigInteger y = new BigInteger(1, bigEndian);
        if (y.compareTo(P) >= 0) {
            throw new Unusable("y is not below p (not a canonical encoding)");
        }
        // x^2 = (y^2 - 1) / (d y^2 + 1): the point exists when that is a square, and x = 0 has no odd root
        BigInteger ySquared = y.multiply(y).mod(P);
        BigInteger u = ySquared.subtract(BigInteger.ONE).mod(P);
        BigInteger v = D.multiply(ySquared).add(BigInteger.ONE).mod(P);
        BigInteger xSquared = u.multiply(v.modInverse(P)).mod(P);
        if (xSquared.signum() == 0 ? xOdd : !xSquared.modPow(HALF_P, P).equals(BigInteger.ONE)) {
            throw new Unusable("not a point of Ed25519");
        }
        try {
            return KeyFactory.getInstance("Ed25519")
                    .generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, y)));
        } catch (GeneralSecurityException e) {
            throw new Unusable("the JDK refuses it: " + e.getMessage());
        }
    }
}
