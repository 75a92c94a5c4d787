package dev.gatehouse.http;

import org.jspecify.annotations.Nullable;

/** Text that came from a client, made fit to be quoted in an answer or a log line. */
public final class ClientText {

    private ClientText() {}

    /**
     * {@code text} cut to 32 characters, with control characters, quotes and backslashes escaped
     * ({@code \n}, {@code \u001b}), so a client cannot write raw control bytes into an answer or a
     * terminal that shows it.
     */
    public static String shorten(@Nullable String text) {
        return shorten(text, 32);
    }

    /** {@link #shorten(String)} to {@code maxChars} characters. */
    public static String shorten(@Nullable String text, int maxChars) {
        String shown = String.valueOf(text);
        String cut = shown.length() > maxChars ? shown.substring(0, maxChars) : shown;
        StringBuilder quoted = new StringBuilder(cut.length() + 8);
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            switch (c) {
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                case '"', '\\' -> quoted.append('\\').append(c);
                default -> {
                    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return shown.length() > maxChars ? quoted + "..." : quoted.toString();
    }
}
