package dev.gatehouse.core.internal;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/** Unpadded base64url (RFC 4648 §5) with strict decoding: one encoding per byte string. */
public final class Base64Url {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    /** The six bits of each character of the alphabet, -1 for every other ASCII character. */
    private static final byte[] SEXTETS = sextets();

    private Base64Url() {}

    public static String encode(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    /**
     * The bytes of {@code text}, or empty when it is not the canonical unpadded encoding of anything:
     * padding, characters outside the alphabet, an impossible length, or non-zero unused bits are all
     * refused, so two different strings never decode to the same bytes.
     */
    public static Optional<byte[]> decode(String text) {
        return text == null ? Optional.empty() : decode(text, 0, text.length());
    }

    /**
     * As {@link #decode(String)}, of the characters of {@code text} from {@code from} (inclusive) to
     * {@code to} (exclusive): one pass, four characters a step, no copy of the characters (a token's
     * segments, on every poll).
     */
    public static Optional<byte[]> decode(String text, int from, int to) {
        Objects.checkFromToIndex(from, to, text.length());
        int length = to - from;
        int rest = length % 4;
        if (rest == 1) {
            return Optional.empty();
        }
        byte[] bytes = new byte[length / 4 * 3 + Math.max(0, rest - 1)];
        int written = 0;
        int i = from;
        for (int whole = to - rest; i < whole; i += 4) {
            int group = sextet(text.charAt(i)) << 18
                    | sextet(text.charAt(i + 1)) << 12
                    | sextet(text.charAt(i + 2)) << 6
                    | sextet(text.charAt(i + 3));
            if (group < 0) { // a -1 sets the sign bit whichever place it took
                return Optional.empty();
            }
            bytes[written++] = (byte) (group >>> 16);
            bytes[written++] = (byte) (group >>> 8);
            bytes[written++] = (byte) group;
        }
        if (rest == 0) {
            return Optional.of(bytes);
        }
        int last = rest == 2
                ? sextet(text.charAt(i)) << 6 | sextet(text.charAt(i + 1))
                : sextet(text.charAt(i)) << 12 | sextet(text.charAt(i + 1)) << 6 | sextet(text.charAt(i + 2));
        // the last character of a partial group carries bits beyond the bytes: 4 of them after one
        // byte, 2 after two; any of them set is another spelling of the same bytes
        int unused = rest == 2 ? 4 : 2;
        if (last < 0 || (last & ((1 << unused) - 1)) != 0) {
            return Optional.empty();
        }
        last >>>= unused;
        if (rest == 3) {
            bytes[written++] = (byte) (last >>> 8);
        }
        bytes[written] = (byte) last;
        return Optional.of(bytes);
    }

    /** The six bits {@code c} stands for, or -1 outside the alphabet (so any group holding it is negative). */
    private static int sextet(char c) {
        return c < SEXTETS.length ? SEXTETS[c] : -1;
    }

    private static byte[] sextets() {
        byte[] sextets = new byte[128];
        Arrays.fill(sextets, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < alphabet.length(); i++) {
            sextets[alphabet.charAt(i)] = (byte) i;
        }
        return sextets;
    }
}
