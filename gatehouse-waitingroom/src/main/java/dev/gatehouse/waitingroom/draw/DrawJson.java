package dev.gatehouse.waitingroom.draw;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The draw files' JSON: written in RFC 8785 canonical form (JCS), read strictly (every member known,
 * none missing or repeated, integers only and below 2^53, lowercase hex of fixed lengths).
 */
final class DrawJson {

    /*
     * Design: the values in these files are strings, non-negative integers below 2^53, one nested
     * object and one array of strings. For those, JCS is: members sorted by UTF-16 code units (a
     * TreeMap of Strings), no whitespace, integers in plain decimal, strings with only '"', '\' and
     * U+0000..U+001F escaped — the short forms \b \t \n \f \r, the rest as a lowercase six-character escape (backslash, u, 00, two hex digits) — and
     * everything else as UTF-8. Jackson's generator writes exactly that once its upper-case hex is
     * turned off and it writes characters beyond U+FFFF as UTF-8 rather than escaped surrogate pairs (DrawJsonTest holds it to JCS's rules character by character).
     */

    /** The largest integer the files may carry (exclusive), so every number survives a JavaScript reader. */
    static final long MAX_INTEGER = 1L << 53;

    /** The largest record or proof file read. */
    static final int MAX_FILE_BYTES = 64 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
            .build();
    private static final HexFormat HEX = HexFormat.of();

    private DrawJson() {}

    /** The canonical (JCS) UTF-8 bytes of {@code members}: values are String, Long, a nested map or a list of Strings. */
    static byte[] canonical(Map<String, ?> members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator generator = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writeObject(generator, members);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeObject(JsonGenerator generator, Map<String, ?> members) throws IOException {
        generator.writeStartObject();
        for (Map.Entry<String, ?> member : new TreeMap<>(members).entrySet()) {
            generator.writeFieldName(member.getKey());
            writeValue(generator, member.getValue());
        }
        generator.writeEndObject();
    }

    private static void writeValue(JsonGenerator generator, Object value) throws IOException {
        switch (value) {
            case String text -> generator.writeString(text);
            case Long number -> generator.writeNumber(number);
            case Map<?, ?> object -> {
                SortedMap<String, Object> nested = new TreeMap<>();
                object.forEach((key, nestedValue) -> nested.put((String) key, nestedValue));
                writeObject(generator, nested);
            }
            case List<?> list -> {
                generator.writeStartArray();
                for (Object item : list) {
                    writeValue(generator, item);
                }
                generator.writeEndArray();
            }
            default -> throw new IllegalArgumentException("not a draw file value: " + value.getClass());
        }
    }

    /**
     * The members of the one JSON object {@code json} holds, as String, Long, Map (one level deep) or
     * List of String; anything else, or anything after the object, is refused.
     */
    static Members read(String what, byte[] json) throws DrawCheckException {
        if (json.length > MAX_FILE_BYTES) {
            throw new DrawCheckException(what + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        String text = utf8(what, json);
        try (JsonParser parser = JSON.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new DrawCheckException(what + ": not a JSON object");
            }
            Members members = readObject(what, parser, 0);
            if (parser.nextToken() != null) {
                throw new DrawCheckException(what + ": data after the JSON object");
            }
            return members;
        } catch (JsonProcessingException e) { // malformed, or beyond the parser's limits
            throw new DrawCheckException(what + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code bytes} as strict UTF-8 text: no byte-order mark, no overlong or invalid sequence (a
     * parser that guesses encodings or decodes leniently would accept files other verifiers refuse).
     */
    static String utf8(String what, byte[] bytes) throws DrawCheckException {
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
            throw new DrawCheckException(what + ": starts with a byte-order mark (UTF-8 without one is expected)");
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new DrawCheckException(what + ": not UTF-8");
        }
    }

    private static Members readObject(String what, JsonParser parser, int depth)
            throws IOException, DrawCheckException {
        Map<String, Object> members = new LinkedHashMap<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            String name = parser.currentName();
            parser.nextToken();
            Object value = readValue(what + "." + name, parser, depth);
            if (members.put(name, value) != null) {
                throw new DrawCheckException(what + ": member \"" + name + "\" appears twice");
            }
        }
        return new Members(what, members);
    }

    private static Object readValue(String what, JsonParser parser, int depth) throws IOException, DrawCheckException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (token == JsonToken.VALUE_NUMBER_INT) {
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    || parser.getLongValue() < 0
                    || parser.getLongValue() >= MAX_INTEGER) {
                throw new DrawCheckException(what + ": " + parser.getText() + " is not an integer from 0 to 2^53 - 1");
            }
            return parser.getLongValue();
        }
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            throw new DrawCheckException(what + ": " + parser.getText() + " is not an integer");
        }
        if (token == JsonToken.START_OBJECT && depth == 0) {
            return readObject(what, parser, depth + 1);
        }
        if (token == JsonToken.START_ARRAY && depth == 0) {
            List<String> items = new ArrayList<>();
            for (JsonToken item = parser.nextToken(); item != JsonToken.END_ARRAY; item = parser.nextToken()) {
                if (item != JsonToken.VALUE_STRING) {
                    throw new DrawCheckException(what + ": the array holds something other than strings");
                }
                if (items.size() == 64) {
                    throw new DrawCheckException(what + ": more than 64 items");
                }
                items.add(parser.getText());
            }
            return items;
        }
        throw new DrawCheckException(what + ": unexpected " + token.asString());
    }

    /** An object's members, read strictly by name and type. */
    record Members(String what, Map<String, Object> values) {

        /** Refuses a member outside {@code required} and {@code optional}, and a missing required one. */
        void expect(Set<String> required, Set<String> optional) throws DrawCheckException {
            for (String name : values.keySet()) {
                if (!required.contains(name) && !optional.contains(name)) {
                    throw new DrawCheckException(what + ": unknown member \"" + name + "\"");
                }
            }
            for (String name : new TreeSet<>(required)) {
                if (!values.containsKey(name)) {
                    throw new DrawCheckException(what + ": member \"" + name + "\" is missing");
                }
            }
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        String text(String name) throws DrawCheckException {
            if (values.get(name) instanceof String text) {
                return text;
            }
            throw new DrawCheckException(what + "." + name + ": not a string");
        }

        long integer(String name) throws DrawCheckException {
            if (values.get(name) instanceof Long number) {
                return number;
            }
            throw new DrawCheckException(what + "." + name + ": not an integer");
        }

        Members object(String name) throws DrawCheckException {
            if (values.get(name) instanceof Members object) {
                return object;
            }
            throw new DrawCheckException(what + "." + name + ": not an object");
        }

        List<String> strings(String name) throws DrawCheckException {
            if (values.get(name) instanceof List<?> list) {
                return list.stream().map(String.class::cast).toList();
            }
            throw new DrawCheckException(what + "." + name + ": not an array");
        }

        /** The member {@code name}: lowercase hex of exactly {@code bytes} bytes. */
        String hex(String name, int bytes) throws DrawCheckException {
            String text = text(name);
            return checked(what, () -> {
                DrawCommit.checkHex(name, text, bytes);
                return text;
            });
        }
    }

    /** A value built by {@code build}, whose IllegalArgumentException becomes a failure of {@code what}. */
    static <T> T checked(String what, Build<T> build) throws DrawCheckException {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new DrawCheckException(what + "." + e.getMessage());
        }
    }

    /** Builds a value from checked parts. */
    @FunctionalInterface
    interface Build<T> {
        T get() throws DrawCheckException;
    }

    /** {@code names} and {@code more}. */
    static Set<String> with(Set<String> names, String... more) {
        Set<String> all = new java.util.HashSet<>(names);
        all.addAll(List.of(more));
        return all;
    }

    static byte[] bytes(String hex) {
        return HEX.parseHex(hex);
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
