package dev.gatehouse.proof;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;

/** The shared test vectors, read from the test classpath. */
public final class Vectors {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Vectors() {}

    /** The parsed JSON of {@code vectors/<name>}. */
    public static JsonNode load(String name) {
        try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test vector file: " + name);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lowercase hex to bytes. */
    public static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** Bytes to lowercase hex. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** The hex text field {@code field} of {@code node} as bytes. */
    public static byte[] hex(JsonNode node, String field) {
        return hex(node.get(field).asText());
    }
}
