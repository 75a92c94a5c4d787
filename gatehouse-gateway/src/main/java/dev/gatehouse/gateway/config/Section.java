package dev.gatehouse.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.gatehouse.http.page.PageLook;
import dev.gatehouse.http.settings.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One mapping of the gateway's file, read key by key with the types Wicket's Go structs give them;
 * every problem is a {@link ConfigException} naming the key by its path ({@code rate_limit.rps}). A
 * section is closed with {@link #done()}, which refuses any key nobody read: Wicket ignores them
 * silently, so a typo there turns a protection off without a word.
 */
final class Section {

    private final String path;
    private final JsonNode node;
    private final Set<String> read = new LinkedHashSet<>();

    private Section(String path, JsonNode node) {
        this.path = path;
        this.node = node;
    }

    /** The whole file's mapping ({@code node} null or YAML null: an empty file). */
    static Section root(JsonNode node) {
        if (node.isNull() || node.isMissingNode()) {
            return new Section("", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());
        }
        if (!node.isObject()) {
            throw new ConfigException(
                    "the file is not a mapping of keys to values (expected: listen:, upstream:, ...)");
        }
        return new Section("", node);
    }

    /** The mapping under {@code key}: empty when the key is absent or has no value. */
    Section section(String key) {
        JsonNode value = take(key);
        if (value == null || value.isNull()) {
            return new Section(name(key), com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());
        }
        if (!value.isObject()) {
            throw wrong(key, value, "a mapping of keys to values");
        }
        return new Section(name(key), value);
    }

    /** Whether {@code key} is given a value. */
    boolean has(String key) {
        JsonNode value = node.get(key);
        return value != null && !value.isNull();
    }

    /** A text; any scalar is read as its text, as Go's YAML decoder reads it into a string. */
    String text(String key, String absent) {
        JsonNode value = take(key);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isValueNode()) {
            throw wrong(key, value, "a text");
        }
        return value.asText();
    }

    /** A boolean: true/false, and yes/no/on/off as YAML 1.1 (and Go's decoder) read them. */
    boolean bool(String key, boolean absent) {
        JsonNode value = take(key);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        if (value.isTextual()) {
            switch (value.textValue().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> {
                    return true;
                }
                case "false", "no", "off" -> {
                    return false;
                }
                default -> {}
            }
        }
        throw wrong(key, value, "true or false");
    }

    /** A whole number in {@code [min, max]}. */
    long integer(String key, long absent, long min, long max) {
        JsonNode value = take(key);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw wrong(key, value, "a whole number");
        }
        return inRange(key, value.longValue(), min, max);
    }

    /** A number (whole or not) in {@code [min, max]}. */
    double decimal(String key, double absent, double min, double max) {
        JsonNode value = take(key);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isNumber() || !Double.isFinite(value.doubleValue())) {
            throw wrong(key, value, "a number");
        }
        double number = value.doubleValue();
        if (number < min || number > max) {
            throw new ConfigException(
                    name(key) + ": " + value.asText() + " is out of range (expected: " + min + " to " + max + ")");
        }
        return number;
    }

    /**
     * A duration in Go's syntax ({@code 500ms}, {@code 2s}, {@code 1m30s}); a bare number is refused,
     * as Wicket's decoder refuses it, with a message saying to add a unit.
     */
    Duration duration(String key, Duration absent) {
        JsonNode value = take(key);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (value.isNumber()) {
            throw new ConfigException(name(key) + ": " + value.asText() + " has no unit (expected: a duration such as "
                    + value.asText() + "s or " + value.asText() + "ms; -1s turns a timeout off)");
        }
        if (!value.isTextual()) {
            throw wrong(key, value, "a duration such as 500ms, 2s or 1m30s");
        }
        try {
            return GoDuration.parse(value.textValue());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name(key) + ": " + e.getMessage(), e);
        }
    }

    /** A waiting page's look ({@link PageLook#read}, with its rules): the default one when the key is absent. */
    PageLook look(String key) {
        JsonNode value = take(key);
        return value == null || value.isNull() ? PageLook.DEFAULT : PageLook.read(name(key), value);
    }

    /** A list of texts (a single text is a list of one). */
    List<String> texts(String key) {
        JsonNode value = take(key);
        List<String> texts = new ArrayList<>();
        if (value == null || value.isNull()) {
            return texts;
        }
        if (value.isValueNode()) {
            texts.add(value.asText());
            return texts;
        }
        if (!value.isArray()) {
            throw wrong(key, value, "a list of texts");
        }
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isValueNode() || item.isNull()) {
                throw wrong(key + "[" + i + "]", item, "a text");
            }
            texts.add(item.asText());
        }
        return texts;
    }

    /** One of {@code choices} (lowercase), or {@code absent} when the key is missing or empty. */
    String choice(String key, String absent, List<String> choices) {
        String value = text(key, "");
        if (value.isEmpty()) {
            return absent;
        }
        if (!choices.contains(value)) {
            throw new ConfigException(name(key) + ": unknown value \"" + value + "\" (expected one of: "
                    + String.join(", ", choices) + ")");
        }
        return value;
    }

    /** A problem with the value of {@code key}, as a {@link ConfigException} naming it. */
    ConfigException invalid(String key, String problem) {
        return new ConfigException(name(key) + ": " + problem);
    }

    /** Refuses every key of this section that was not read, naming the first by its path. */
    void done() {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String key = names.next();
            if (!read.contains(key)) {
                throw new ConfigException(name(key) + ": unknown key"
                        + (read.isEmpty() ? "" : " (expected one of: " + String.join(", ", read) + ")"));
            }
        }
    }

    /** The path of {@code key} in this section. */
    String name(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private JsonNode take(String key) {
        read.add(key);
        return node.get(key);
    }

    private long inRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(
                    name(key) + ": " + value + " is out of range (expected: " + min + " to " + max + ")");
        }
        return value;
    }

    private ConfigException wrong(String key, JsonNode value, String expected) {
        String given = value.isValueNode() ? "\"" + value.asText() + "\"" : describe(value.getNodeType());
        return new ConfigException(name(key) + ": " + given + " is not " + expected);
    }

    private static String describe(JsonNodeType type) {
        return switch (type) {
            case ARRAY -> "a list";
            case OBJECT -> "a mapping";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }
}
