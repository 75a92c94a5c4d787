package dev.gatehouse.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SipHashTest {

    /** SipHash-c-d over bytes, written from the paper's description, word by word: the reference. */
    private static long reference(int c, int d, long k0, long k1, byte[] message) {
        long[] v = {
            k0 ^ 0x736f6d6570736575L, k1 ^ 0x646f72616e646f6dL, k0 ^ 0x6c7967656e657261L, k1 ^ 0x7465646279746573L
        };
        ByteBuffer padded = ByteBuffer.allocate((message.length / 8 + 1) * 8).order(ByteOrder.LITTLE_ENDIAN);
        padded.put(message);
        padded.put(padded.capacity() - 1, (byte) message.length);
        for (int word = 0; word < padded.capacity() / 8; word++) {
            long m = padded.getLong(word * 8);
            v[3] ^= m;
            for (int i = 0; i < c; i++) {
                round(v);
            }
            v[0] ^= m;
        }
        v[2] ^= 0xff;
        for (int i = 0; i < d; i++) {
            round(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void round(long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13);
        v[1] ^= v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17);
        v[1] ^= v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }

    private static final long KEY0 = 0x0706050403020100L; // the paper's key: bytes 00 .. 0f
    private static final long KEY1 = 0x0f0e0d0c0b0a0908L;

    @Test
    void theReference_givesThePapersTestVector() {
        byte[] message = new byte[15];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        assertThat(reference(2, 4, KEY0, KEY1, message)).isEqualTo(0xa129ca6149be45e5L);
    }

    @Test
    void everyLength_matchesSipHash13OfTheUtf16LeBytes() {
        SipHash hash = new SipHash(KEY0, KEY1);
        SplittableRandom random = new SplittableRandom(7);
        for (int length = 0; length < 40; length++) {
            for (int sample = 0; sample < 20; sample++) {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < length; i++) {
                    // ASCII mostly, and code units whose high byte is set (below the surrogates, which the
                    // encoder of the reference's bytes would replace)
                    text.append((char) (random.nextInt(4) == 0 ? random.nextInt(0xd800) : random.nextInt(0x80)));
                }
                String s = text.toString();
                assertThat(hash.hash(s))
                        .as("length %d: %s", length, s)
                        .isEqualTo(reference(1, 3, KEY0, KEY1, s.getBytes(StandardCharsets.UTF_16LE)));
            }
        }
    }

    @Test
    void anotherKey_anotherHash() {
        SipHash one = new SipHash(KEY0, KEY1);
        SipHash other = new SipHash(KEY0, KEY1 + 1);
        assertThat(one.hash("203.0.113.7")).isNotEqualTo(other.hash("203.0.113.7"));
    }
}
