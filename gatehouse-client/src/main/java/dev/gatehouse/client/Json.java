package dev.gatehouse.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON value read into plain Java: objects as {@code Map<String, Object>} (in order), arrays as
 * {@code List<Object>}, strings, {@code Boolean}, numbers ({@code Long}, or {@code Double} for a
 * fraction or an exponent, or {@code java.math.BigInteger} past a long), and {@link #NULL}. Strict:
 * exactly one value, nothing after it, no duplicate names, bounded nesting; jackson-core reads it.
 */
final class Json {

    /** JSON's {@code null}. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private static final int MAX_DEPTH = 16;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(64)
                    .build())
            .build();

    private Json() {}

    /** Input that is not one JSON value within the bounds. */
    static final class MalformedJson extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedJson(String message, Throwable cause) {
            super(message, cause);
        }

        MalformedJson(String message) {
            super(message);
        }
    }

    static Object parse(byte[] json) throws MalformedJson {
        try (JsonParser parser = FACTORY.createParser(json)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new MalformedJson("no JSON value");
            }
            Object value = read(parser, first);
            if (parser.nextToken() != null) {
                throw new MalformedJson("more after the JSON value");
            }
            return value;
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException problem ? problem.getOriginalMessage() : e.getMessage();
            throw new MalformedJson("not JSON: " + why, e);
        }
    }

    private static Object read(JsonParser parser, JsonToken token) throws IOException, MalformedJson {
        return switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                JsonToken next;
                while ((next = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (value == null) {
                        throw new MalformedJson("an object ends early");
                    }
                    object.put(name, read(parser, value));
                }
                if (next != JsonToken.END_OBJECT) {
                    throw new MalformedJson("an object ends early");
                }
                yield Collections.unmodifiableMap(object);
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                    if (next == null) {
                        throw new MalformedJson("an array ends early");
                    }
                    array.add(read(parser, next));
                }
                yield Collections.unmodifiableList(array);
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT ->
                parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? parser.getBigIntegerValue()
                        : (Object) parser.getLongValue();
            case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> NULL;
            default -> throw new MalformedJson("unexpected " + token);
        };
    }
}
