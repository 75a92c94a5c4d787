package dev.gatehouse.waitingroom.draw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DrawJsonTest {

    private static String canonical(Map<String, ?> members) {
        return new String(DrawJson.canonical(members), StandardCharsets.UTF_8);
    }

    @Test
    void writesMembersSortedWithoutWhitespace() {
        assertThat(canonical(Map.of("b", 2L, "a", "x", "c", Map.of("z", 1L, "y", "w"), "d", List.of("p", "q"))))
                .isEqualTo("{\"a\":\"x\",\"b\":2,\"c\":{\"y\":\"w\",\"z\":1},\"d\":[\"p\",\"q\"]}");
    }

    @Test
    void escapesOnlyWhatJcsEscapesAndControlCharactersInLowerCase() {
        StringBuilder controls = new StringBuilder();
        for (char c = 1; c < 0x20; c++) {
            controls.append(c);
        }
        String written = canonical(Map.of("s", controls + "\"\\/\u007fé\u2028😀"));

        assertThat(written)
                .isEqualTo("{\"s\":\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
                        + "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
                        + "\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\/\u007fé\u2028😀\"}");
    }

    @Test
    void sortsMembersByUtf16CodeUnits() {
        // JCS's own example: U+20AC sorts before U+1F600 by code units (0x20AC < 0xD83D), not by code points
        assertThat(canonical(Map.of("😀", 1L, "€", 2L, "\r", 3L, "1", 4L)))
                .isEqualTo("{\"\\r\":3,\"1\":4,\"€\":2,\"😀\":1}");
    }

    @Test
    void readsStrictly() throws DrawCheckException {
        assertThat(DrawJson.read("f", "{\"a\":1,\"b\":\"x\"}".getBytes(StandardCharsets.UTF_8))
                        .values())
                .containsEntry("a", 1L)
                .containsEntry("b", "x");

        assertRefused("{\"a\":1,\"a\":2}", "f: member \"a\" appears twice");
        assertRefused("{\"a\":1.0}", "f.a: 1.0 is not an integer");
        assertRefused("{\"a\":1e3}", "f.a: 1e3 is not an integer");
        assertRefused("{\"a\":9007199254740992}", "f.a: 9007199254740992 is not an integer from 0 to 2^53 - 1");
        assertRefused("{\"a\":-1}", "f.a: -1 is not an integer from 0 to 2^53 - 1");
        assertRefused("{\"a\":123456789012345678901234567890}", "is not an integer from 0 to 2^53 - 1");
        assertRefused("{\"a\":true}", "f.a: unexpected true");
        assertRefused("{\"a\":null}", "f.a: unexpected null");
        assertRefused("{\"a\":{\"b\":{}}}", "f.a.b: unexpected {");
        assertRefused("{\"a\":[1]}", "f.a: the array holds something other than strings");
        assertRefused("{} {}", "f: data after the JSON object");
        assertRefused("[]", "f: not a JSON object");
        assertRefused("{\"a\":01}", "f: not valid JSON");
        assertRefused("{\"a\":\"x\"", "f: not valid JSON");
        assertRefused("{\"a\":\"" + "x".repeat(DrawJson.MAX_FILE_BYTES) + "\"}", "f: larger than 65536 bytes");
        // beyond the parser's own limits (a number of 1,001 digits, a name of 50,001 characters)
        assertRefused("{\"a\":1" + "0".repeat(1_000) + "}", "f: not valid JSON");
        assertRefused("{\"" + "n".repeat(50_001) + "\":1}", "f: not valid JSON");
    }

    @Test
    void readsStrictUtf8Only() {
        byte[] valid = "{\"a\":\"Spring\"}".getBytes(StandardCharsets.UTF_8);
        assertRefusedBytes(
                concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, valid), "f: starts with a byte-order mark");
        // "S" as an overlong two- and three-byte sequence, which a lenient decoder reads as "S"
        assertRefusedBytes(splice(valid, 6, new byte[] {(byte) 0xc1, (byte) 0x93}), "f: not UTF-8");
        assertRefusedBytes(splice(valid, 6, new byte[] {(byte) 0xe0, (byte) 0x81, (byte) 0x93}), "f: not UTF-8");
        assertRefusedBytes("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE), "f:");
        assertRefusedBytes("{\"a\":1}".getBytes(StandardCharsets.UTF_16), "f:");
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** {@code bytes} with the byte at {@code index} replaced by {@code replacement}. */
    private static byte[] splice(byte[] bytes, int index, byte[] replacement) {
        return concat(
                concat(java.util.Arrays.copyOf(bytes, index), replacement),
                java.util.Arrays.copyOfRange(bytes, index + 1, bytes.length));
    }

    private static void assertRefusedBytes(byte[] json, String message) {
        assertThatThrownBy(() -> DrawJson.read("f", json))
                .isInstanceOf(DrawCheckException.class)
                .hasMessageContaining(message);
    }

    @Test
    void expectsEveryRequiredMemberAndNoOther() throws DrawCheckException {
        DrawJson.Members members = DrawJson.read("f", "{\"a\":1,\"c\":2}".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> members.expect(Set.of("a", "b"), Set.of("c")))
                .isInstanceOf(DrawCheckException.class)
                .hasMessage("f: member \"b\" is missing");
        assertThatThrownBy(() -> members.expect(Set.of("a"), Set.of()))
                .isInstanceOf(DrawCheckException.class)
                .hasMessage("f: unknown member \"c\"");
    }

    private static void assertRefused(String json, String message) {
        assertThatThrownBy(() -> DrawJson.read("f", json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(DrawCheckException.class)
                .hasMessageContaining(message);
    }
}
