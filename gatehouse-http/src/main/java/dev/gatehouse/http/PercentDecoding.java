package dev.gatehouse.http;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Percent-decoding of raw request text into UTF-8, strictly: a malformed escape or bytes that are
 * not UTF-8 make the text undecodable (null), never a U+FFFD that would let two spellings share one
 * key. Raw request text holds one byte per character (as the HTTP decoder reads the request line),
 * so a key sent raw and the same key percent-encoded decode alike.
 */
public final class PercentDecoding {

    private static final Query NO_PARAMETERS = new Query(Map.of(), Set.of());

    private PercentDecoding() {}

    /** {@code raw[from, to)} decoded, {@code +} kept as is (a path); null if malformed or not UTF-8. */
    public static @Nullable String path(String raw, int from, int to) {
        return decode(raw, from, to, /* plusIsSpace= */ false);
    }

    /**
     * The parameters of a raw query string, read as Go's {@code url.ParseQuery} reads them: pairs split
     * on {@code &}, a pair holding {@code ;} ignored, {@code +} a space, the first value of a name kept.
     */
    public static Query query(@Nullable String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return NO_PARAMETERS; // the common case of a rate call: nothing to allocate
        }
        Map<String, String> first = new HashMap<>();
        Set<String> malformed = new HashSet<>();
        int start = 0;
        while (start <= rawQuery.length()) {
            int end = rawQuery.indexOf('&', start);
            if (end < 0) {
                end = rawQuery.length();
            }
            readPair(rawQuery, start, end, first, malformed);
            start = end + 1;
        }
        return new Query(first, malformed);
    }

    private static void readPair(String raw, int from, int to, Map<String, String> first, Set<String> malformed) {
        if (from == to || raw.substring(from, to).indexOf(';') >= 0) {
            return;
        }
        int equals = raw.indexOf('=', from);
        int nameEnd = equals < 0 || equals > to ? to : equals;
        String name = decode(raw, from, nameEnd, true);
        if (name == null || first.containsKey(name) || malformed.contains(name)) {
            return;
        }
        String value = nameEnd == to ? "" : decode(raw, nameEnd + 1, to, true);
        if (value == null) {
            malformed.add(name);
        } else {
            first.put(name, value);
        }
    }

    private static @Nullable String decode(String raw, int from, int to, boolean plusIsSpace) {
        boolean plain = true;
        for (int i = from; i < to && plain; i++) {
            char c = raw.charAt(i);
            plain = c != '%' && c < 0x80 && !(plusIsSpace && c == '+');
        }
        if (plain) {
            return raw.substring(from, to);
        }
        byte[] bytes = new byte[to - from];
        int length = 0;
        for (int i = from; i < to; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 2 < to ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = high >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (low < 0 || raw.charAt(i + 1) > 'f' || raw.charAt(i + 2) > 'f') {
                    return null;
                }
                bytes[length++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c > 0xFF) {
                return null; // not one byte per character: not raw request text
            } else {
                bytes[length++] = (byte) (plusIsSpace && c == '+' ? ' ' : c);
            }
        }
        try {
            CharBuffer text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length));
            return text.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Decoded query parameters: the first value of each name, and the names whose first value was undecodable. */
    public static final class Query {
        private final Map<String, String> first;
        private final Set<String> malformed;

        private Query(Map<String, String> first, Set<String> malformed) {
            this.first = first;
            this.malformed = malformed;
        }

        /** The first value of {@code name}, or null when absent or undecodable. */
        public @Nullable String first(String name) {
            return first.get(name);
        }

        /** Whether the first value of {@code name} was a malformed escape or not UTF-8. */
        public boolean malformed(String name) {
            return malformed.contains(name);
        }
    }
}
