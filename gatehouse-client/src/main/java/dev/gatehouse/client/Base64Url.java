package dev.gatehouse.client;

import java.util.Base64;
import org.jspecify.annotations.Nullable;

/** Unpadded base64url (RFC 4648 §5), decoded strictly: one spelling per byte string. */
final class Base64Url {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Base64Url() {}

    static String encode(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    /**
     * The bytes {@code text} is the canonical unpadded encoding of, or null: padding, characters
     * outside the alphabet, an impossible length and non-zero unused bits are refused.
     */
    static byte @Nullable [] decode(String text) {
        if (text.length() % 4 == 1) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean valid =
                    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!valid) {
                return null;
            }
        }
        byte[] bytes = DECODER.decode(text);
        return encode(bytes).equals(text) ? bytes : null;
    }
}
