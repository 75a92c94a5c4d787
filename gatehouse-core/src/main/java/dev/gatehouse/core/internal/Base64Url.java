package dev.gatehouse.core.internal;

import java.util.Base64;
import java.util.Optional;

/** Unpadded base64url (RFC 4648 §5) with strict decoding: one encoding per byte string. */
public final class Base64Url {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

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
        if (text == null || text.length() % 4 == 1) {
            return Optional.empty();
        }
        int last = 0;
        for (int i = 0; i < text.length(); i++) {
            last = sextet(text.charAt(i));
            if (last < 0) {
                return Optional.empty();
            }
        }
        // the last character of a partial group carries bits beyond the bytes: 4 of them after one
        // byte, 2 after two; any of them set is another spelling of the same bytes
        int unusedBits = text.length() % 4 == 2 ? 4 : text.length() % 4 == 3 ? 2 : 0;
        if ((last & ((1 << unusedBits) - 1)) != 0) {
            return Optional.empty();
        }
        return Optional.of(DECODER.decode(text));
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
