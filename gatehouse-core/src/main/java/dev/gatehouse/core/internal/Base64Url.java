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
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean valid =
                    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!valid) {
                return Optional.empty();
            }
        }
        byte[] bytes = DECODER.decode(text);
        return encode(bytes).equals(text) ? Optional.of(bytes) : Optional.empty();
    }
}
