package dev.gatehouse.server.rate;

/** Go's {@code strings.TrimSpace}, which gocc applies to keys, ids and query values. */
final class GoText {

    private GoText() {}

    /** {@code text} without leading and trailing white space as Go's {@code unicode.IsSpace} defines it. */
    static String trimSpace(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isSpace(text.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(text.charAt(end - 1))) {
            end--;
        }
        return start == 0 && end == text.length() ? text : text.substring(start, end);
    }

    /** Go's {@code unicode.IsSpace}: ASCII space, \t \n \v \f \r, U+0085, U+00A0 and Unicode White_Space. */
    private static boolean isSpace(char c) {
        return switch (c) {
            case ' ', '\t', '\n', 0x0B, '\f', '\r', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200A;
        };
    }
}
