package dev.gatehouse.server.docs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a value against a schema of the OpenAPI document, for the JSON Schema keywords the document
 * uses ({@code $ref}, {@code type} (one or several), {@code const}, {@code enum}, {@code required},
 * {@code properties}, {@code additionalProperties}, {@code items}, {@code minimum}, {@code maximum},
 * {@code minLength}, {@code pattern}, {@code format: int32}); a keyword it does not know fails the
 * check, so the document cannot grow past what is checked without this class growing too.
 */
final class SchemaCheck {

    private static final Set<String> KNOWN = Set.of(
            "$ref",
            "type",
            "const",
            "enum",
            "required",
            "properties",
            "additionalProperties",
            "items",
            "minimum",
            "maximum",
            "minLength",
            "pattern",
            "format",
            "description");

    private SchemaCheck() {}

    /** Adds to {@code problems} each way {@code value} breaks {@code schema}, prefixed by {@code where}. */
    static void check(JsonNode document, JsonNode schema, JsonNode value, String where, List<String> problems) {
        JsonNode resolved = resolve(document, schema);
        Iterator<String> keywords = resolved.fieldNames();
        while (keywords.hasNext()) {
            String keyword = keywords.next();
            if (!KNOWN.contains(keyword)) {
                problems.add(where + ": schema keyword " + keyword + " is not checked by SchemaCheck");
            }
        }
        JsonNode type = resolved.get("type");
        if (type != null) {
            List<String> types = new ArrayList<>();
            if (type.isArray()) {
                type.forEach(t -> types.add(t.asText()));
            } else {
                types.add(type.asText());
            }
            if (types.stream().noneMatch(t -> hasType(value, t))) {
                problems.add(where + ": " + value + " is not of type " + types);
                return;
            }
        }
        if (resolved.has("const") && !resolved.get("const").equals(value)) {
            problems.add(where + ": " + value + " is not " + resolved.get("const"));
        }
        if (resolved.has("enum")) {
            boolean listed = false;
            for (JsonNode option : resolved.get("enum")) {
                listed |= option.equals(value);
            }
            if (!listed) {
                problems.add(where + ": " + value + " is not one of " + resolved.get("enum"));
            }
        }
        if (value.isNumber()) {
            if (resolved.has("minimum")
                    && value.asLong() < resolved.get("minimum").asLong()) {
                problems.add(where + ": " + value + " < minimum " + resolved.get("minimum"));
            }
            if (resolved.has("maximum")
                    && value.asLong() > resolved.get("maximum").asLong()) {
                problems.add(where + ": " + value + " > maximum " + resolved.get("maximum"));
            }
            if ("int32".equals(resolved.path("format").asText())
                    && (value.asLong() < Integer.MIN_VALUE || value.asLong() > Integer.MAX_VALUE)) {
                problems.add(where + ": " + value + " is not an int32");
            }
        }
        if (value.isTextual()) {
            if (resolved.has("minLength")
                    && value.asText().length() < resolved.get("minLength").asInt()) {
                problems.add(where + ": \"" + value.asText() + "\" is shorter than " + resolved.get("minLength"));
            }
            if (resolved.has("pattern")
                    && !java.util.regex.Pattern.compile(resolved.get("pattern").asText())
                            .matcher(value.asText())
                            .find()) {
                problems.add(where + ": \"" + value.asText() + "\" does not match " + resolved.get("pattern"));
            }
        }
        if (value.isObject()) {
            checkObject(document, resolved, value, where, problems);
        }
        if (value.isArray() && resolved.has("items")) {
            int i = 0;
            for (JsonNode item : value) {
                check(document, resolved.get("items"), item, where + "[" + i++ + "]", problems);
            }
        }
    }

    private static void checkObject(
            JsonNode document, JsonNode schema, JsonNode value, String where, List<String> problems) {
        for (JsonNode name : schema.path("required")) {
            if (!value.has(name.asText())) {
                problems.add(where + ": required " + name.asText() + " missing");
            }
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        Iterator<Map.Entry<String, JsonNode>> fields = value.properties().iterator();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String path = where + "." + field.getKey();
            if (properties.has(field.getKey())) {
                check(document, properties.get(field.getKey()), field.getValue(), path, problems);
            } else if (additional != null && additional.isObject()) {
                check(document, additional, field.getValue(), path, problems);
            } else if (!properties.isMissingNode()) {
                // the document's objects list their members: one it does not name is a mistake in an example
                problems.add(path + ": not a property of the schema");
            }
        }
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "null" -> value.isNull();
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    /** {@code node}, or what its local {@code $ref} points at (followed until it is not a reference). */
    static JsonNode resolve(JsonNode document, JsonNode node) {
        JsonNode current = node;
        for (int hops = 0; current.has("$ref"); hops++) {
            if (hops > 10) {
                throw new IllegalStateException("$ref loop at " + node);
            }
            String ref = current.get("$ref").asText();
            if (!ref.startsWith("#/")) {
                throw new IllegalStateException("not a local $ref: " + ref);
            }
            JsonNode target = document.at(ref.substring(1));
            if (target.isMissingNode()) {
                throw new IllegalStateException("$ref to nothing: " + ref);
            }
            current = target;
        }
        return current;
    }
}
