package dev.gatehouse.http.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The raw value of every {@link Setting} and where it came from, layered as: flag, then environment
 * variable, then YAML file, then default. Typed accessors parse on demand and name the setting and
 * its source when a value does not parse.
 */
public final class ResolvedSettings {

    /** Where a value came from, for error messages and {@code --print-config}. */
    public record Value(String text, String source) {}

    private final Map<Setting, Value> values;

    private ResolvedSettings(Map<Setting, Value> values) {
        this.values = values;
    }

    /**
     * Layers {@code flags} (values given on the command line), {@code env} and the YAML file at
     * {@code yamlFile} (if any) over the defaults. Unknown YAML keys are rejected.
     */
    public static ResolvedSettings resolve(
            Optional<Path> yamlFile, Map<Setting, String> flags, Map<String, String> env) {
        Map<Setting, Value> fromYaml = yamlFile.map(ResolvedSettings::readYaml).orElse(Map.of());
        Map<Setting, Value> values = new EnumMap<>(Setting.class);
        for (Setting setting : Setting.values()) {
            Value value;
            if (flags.containsKey(setting)) {
                value = new Value(flags.get(setting), setting.flags().getFirst());
            } else if (env.containsKey(setting.env())) {
                value = new Value(env.get(setting.env()), "env " + setting.env());
            } else if (fromYaml.containsKey(setting)) {
                value = fromYaml.get(setting);
            } else {
                value = new Value(setting.defaultValue(), "default");
            }
            values.put(setting, value);
        }
        return new ResolvedSettings(values);
    }

    /** The raw value of {@code setting} and its source. */
    public Value value(Setting setting) {
        return values.get(setting);
    }

    public String text(Setting setting) {
        return values.get(setting).text().trim();
    }

    public int intValue(Setting setting) {
        long value = longValue(setting);
        if (value != (int) value) {
            throw invalid(setting, "a 32-bit integer");
        }
        return (int) value;
    }

    public long longValue(Setting setting) {
        try {
            return Long.parseLong(text(setting));
        } catch (NumberFormatException e) {
            throw invalid(setting, "an integer");
        }
    }

    public boolean booleanValue(Setting setting) {
        return BooleanText.parse(text(setting)).orElseThrow(() -> invalid(setting, "true or false"));
    }

    /** A message for a value of {@code setting} that is not {@code expected}. */
    public ConfigException invalid(Setting setting, String expected) {
        Value value = values.get(setting);
        return new ConfigException(
                setting.path() + ": \"" + value.text() + "\" from " + value.source() + " (expected: " + expected + ")");
    }

    /** The settings as YAML, each with its source as a comment. */
    public String toYaml() {
        StringBuilder yaml = new StringBuilder();
        String section = "";
        for (Setting setting : Setting.values()) {
            String[] parts = setting.path().split("\\.", 2);
            if (!parts[0].equals(section)) {
                section = parts[0];
                yaml.append(section).append(":\n");
            }
            Value value = values.get(setting);
            yaml.append("  ")
                    .append(parts[1])
                    .append(": ")
                    .append(quoted(Credentials.masked(value.text())))
                    .append("  # ")
                    .append(value.source())
                    .append('\n');
        }
        return yaml.toString();
    }

    private static String quoted(String text) {
        return text.isEmpty() || !text.matches("[A-Za-z0-9._/:-]+") ? "\"" + text.replace("\"", "\\\"") + "\"" : text;
    }

    private static Map<Setting, Value> readYaml(Path file) {
        JsonNode root;
        try {
            String text = Files.readString(file);
            root = text.isBlank() ? null : new YAMLMapper().readTree(text);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config " + file + ": file not found");
        } catch (JsonProcessingException e) {
            throw new ConfigException("config " + file + ": not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("config " + file + ": cannot be read: " + e.getMessage(), e);
        }
        Map<Setting, Value> values = new EnumMap<>(Setting.class);
        if (root == null || root.isNull()) {
            return values;
        }
        if (!root.isObject()) {
            throw new ConfigException("config " + file + ": expected a mapping of sections (rate, admin, log, http)");
        }
        String source = "config " + file;
        for (Map.Entry<String, JsonNode> section : root.properties()) {
            if (!(section.getValue() instanceof ObjectNode fields)) {
                throw new ConfigException(section.getKey() + ": unknown key or not a section (in " + file + ")");
            }
            for (Map.Entry<String, JsonNode> field : fields.properties()) {
                String path = section.getKey() + "." + field.getKey();
                Setting setting = Setting.atPath(path)
                        .orElseThrow(() -> new ConfigException(path + ": unknown key (in " + file + ")"));
                JsonNode node = field.getValue();
                if (node.isContainerNode()) {
                    throw new ConfigException(path + ": expected a single value (in " + file + ")");
                }
                if (!node.isNull()) {
                    values.put(setting, new Value(node.asText(), source));
                }
            }
        }
        return values;
    }
}
