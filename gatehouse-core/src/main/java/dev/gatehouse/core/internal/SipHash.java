package dev.gatehouse.core.internal;

import java.security.SecureRandom;

/**
 * SipHash-1-3 (Aumasson and Bernstein; one compression round per word, three finalisation rounds, as
 * Rust's hash maps use) of a string's UTF-16 code units in little-endian order, under a 128-bit key.
 * A keyed hash: who does not know the key cannot pick strings that collide, so tables keyed by it
 * hold up against keys chosen by an attacker. Allocates nothing.
 */
public final class SipHash {

    private final long k0;
    private final long k1;

    public SipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** Under a key drawn from a {@link SecureRandom}. */
    public static SipHash withRandomKey() {
        SecureRandom random = new SecureRandom();
        return new SipHash(random.nextLong(), random.nextLong());
    }

    /** The hash of {@code text}'s UTF-16LE bytes. */
    public long hash(String text) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        int words = text.length() / 4 + 1; // four code units to a word; the last holds the length
        // one copy of the round: a word a step, then the three finishing rounds (m = 0)
        for (int step = 0; step < words + 3; step++) {
            long m = 0;
            if (step < words) {
                m = word(text, step);
            } else if (step == words) {
                v2 ^= 0xff;
            }
            v3 ^= m;
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
            v0 ^= m;
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** Word {@code index} of the message: four code units, or the last ones and the byte length modulo 256. */
    private static long word(String text, int index) {
        int at = index * 4;
        int length = text.length();
        if (at + 4 <= length) {
            return text.charAt(at)
                    | (long) text.charAt(at + 1) << 16
                    | (long) text.charAt(at + 2) << 32
                    | (long) text.charAt(at + 3) << 48;
        }
        long m = (2L * length) << 56;
        for (int shift = 0; at < length; at++, shift += 16) {
            m |= (long) text.charAt(at) << shift;
        }
        return m;
    }
}
