package dev.gatehouse.core.internal;

import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/** Unpadded base64url (RFC 4648 §5) with strict decoding: one encoding per byte string. */
public final class Base64Url {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

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
     * {@code to} (exclusive): one pass, no copy of the characters (a token's segments, on every poll).
     */
    public static Optional<byte[]> decode(String text, int from, int to) {
        Objects.checkFromToIndex(from, to, text.length());
        int length = to - from;
        if (length % 4 == 1) {
            return Optional.empty();
        }
        byte[] bytes = new byte[length / 4 * 3 + Math.max(0, length % 4 - 1)];
        int bits = 0; // the bits read and not yet written, `pending` of them
        int pending = 0;
        int written = 0;
        for (int i = from; i < to; i++) {
            int sextet = sextet(text.charAt(i));
            if (sextet < 0) {
                return Optional.empty();
            }
            bits = (bits << 6) | sextet;
            pending += 6;
            if (pending >= 8) {
                pending -= 8;
                bytes[written++] = (byte) (bits >>> pending);
                bits &= (1 << pending) - 1;
            }
        }
        // the last character of a partial group carries bits beyond the bytes: 4 of them after one
        // byte, 2 after two; any of them set is another spelling of the same bytes
        return bits == 0 ? Optional.of(bytes) : Optional.empty();
    }

    /** The six bits {@code c} stands for, or -1 outside the alphabet. */
    private static int sextet(char c) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        }
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    }
}
