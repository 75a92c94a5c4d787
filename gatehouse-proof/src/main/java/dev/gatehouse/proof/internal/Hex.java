package dev.gatehouse.proof.internal;

import java.util.HexFormat;
import java.util.Optional;

/** Hex decoding that reports bad input as a value. */
public final class Hex {

    private Hex() {}

    /** The bytes of {@code text} (either case, even length, at most {@code maxBytes}), or empty. */
    public static Optional<byte[]> decode(String text, int maxBytes) {
        if (text == null || text.length() % 2 != 0 || text.length() > 2L * maxBytes) {
            return Optional.empty();
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean hexDigit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hexDigit) {
                return Optional.empty(); // ASCII only: Character.digit would also take other scripts' digits
            }
        }
        return Optional.of(HexFormat.of().parseHex(text));
    }
}
