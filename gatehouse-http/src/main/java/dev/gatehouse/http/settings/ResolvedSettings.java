package dev.gatehouse.http.settings;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The value of every declared {@link Setting} and where it came from, layered as: flag, then
 * environment variable, then YAML file, then default. {@link #get} parses on demand and names the
 * setting, the value and its source when the value is not what the setting accepts.
 */
public final class ResolvedSettings {

    /** Where a value came from, for error messages and {@code --print-config}. */
    public record Value(String text, String source) {}

    private final List<Setting<?>> declared;
    private final Map<Setting<?>, Value> values;

    private ResolvedSettings(List<Setting<?>> declared, Map<Setting<?>, Value> values) {
        this.declared = declared;
        this.values = values;
    }

    /**
     * Layers {@code flags} (values given on the command line), {@code env} and the YAML file at
     * {@code yamlFile} (if any) over the defaults of the {@code declared} settings. YAML keys that
     * name no declared setting are rejected; so are two declarations of one path, env or flag.
     */
    public static ResolvedSettings resolve(
            List<Setting<?>> declared,
            Optional<Path> yamlFile,
            Map<Setting<?>, String> flags,
            Map<String, String> env) {
        Map<String, Setting<?>> byPath = byPath(declared);
        Map<Setting<?>, Value> fromYaml =
                yamlFile.map(file -> readYaml(file, byPath)).orElse(Map.of());
        Map<Setting<?>, Value> values = new HashMap<>();
        for (Setting<?> setting : declared) {
            Value value;
            if (flags.containsKey(setting)) {
                value = new Value(flags.get(setting), setting.flags().getFirst());
            } else if (env.containsKey(setting.env())) {
                value = new Value(env.get(setting.env()), "env " + setting.env());
            } else if (fromAlias(setting, env).isPresent()) {
                value = fromAlias(setting, env).orElseThrow();
            } else if (fromYaml.containsKey(setting)) {
                value = fromYaml.get(setting);
            } else {
                value = new Value(setting.defaultText(), "default");
            }
            values.put(setting, value);
        }
        return new ResolvedSettings(List.copyOf(declared), values);
    }

    private static Optional<Value> fromAlias(Setting<?> setting, Map<String, String> env) {
        for (String alias : setting.envAliases()) {
            String text = env.get(alias);
            if (text != null) {
                return Optional.of(new Value(text, "env " + alias));
            }
        }
        return Optional.empty();
    }

    /** The parsed value of {@code setting}; a {@link ConfigException} naming it when it does not parse. */
    public <T> T get(Setting<T> setting) {
        Value value = value(setting);
        return setting.parse(value.text()).orElseThrow(() -> invalid(setting, setting.expected()));
    }

    /** The raw value of {@code setting} and its source. */
    public Value value(Setting<?> setting) {
        Value value = values.get(setting);
        if (value == null) {
            throw new IllegalArgumentException(setting.path() + " is not among the declared settings");
        }
        return value;
    }

    /** A message for a value of {@code setting} that is not {@code expected}; a secret's value is not in it. */
    public ConfigException invalid(Setting<?> setting, String expected) {
        Value value = value(setting);
        String shown =
                setting.isSecret() ? "(" + value.text().length() + " characters, hidden)" : "\"" + value.text() + "\"";
        return new ConfigException(
                setting.path() + ": " + shown + " from " + value.source() + " (expected: " + expected + ")");
    }

    /** Whether {@code setting} was given (by flag, environment or file) rather than left at its default. */
    public boolean isGiven(Setting<?> setting) {
        return !value(setting).source().equals("default");
    }

    /** The settings as YAML, section by section, each value with its source as a comment; credentials masked. */
    public String toYaml() {
        Map<String, List<Setting<?>>> sections = new LinkedHashMap<>();
        for (Setting<?> setting : declared) {
            sections.computeIfAbsent(setting.section(), s -> new ArrayList<>()).add(setting);
        }
        StringBuilder yaml = new StringBuilder();
        sections.forEach((section, settings) -> {
            yaml.append(section).append(":\n");
            for (Setting<?> setting : settings) {
                Value value = value(setting);
                yaml.append("  ")
                        .append(setting.path().substring(section.length() + 1))
                        .append(": ")
                        .append(quoted(shown(setting, value)))
                        .append("  # ")
                        .append(value.source())
                        .append('\n');
            }
        });
        return yaml.toString();
    }

    private static String shown(Setting<?> setting, Value value) {
        if (setting.isSecret()) {
            return value.text().isEmpty() ? "" : "***";
        }
        return Credentials.masked(value.text());
    }

    private static Map<String, Setting<?>> byPath(List<Setting<?>> declared) {
        Map<String, Setting<?>> byPath = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>();
        for (Setting<?> setting : declared) {
            if (byPath.put(setting.path(), setting) != null
                    || !names.add(setting.env())
                    || !setting.envAliases().stream().allMatch(names::add)) {
                throw new IllegalArgumentException(setting.path() + ": declared twice");
            }
            for (String flag : setting.flags()) {
                if (!names.add(flag)) {
                    throw new IllegalArgumentException(setting.path() + ": flag " + flag + " declared twice");
                }
            }
        }
        return byPath;
    }

    private static String quoted(String text) {
        return text.isEmpty() || !text.matches("[A-Za-z0-9._/:-]+") ? "\"" + text.replace("\"", "\\\"") + "\"" : text;
    }

    private static Map<Setting<?>, Value> readYaml(Path file, Map<String, Setting<?>> byPath) {
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
        Map<Setting<?>, Value> values = new HashMap<>();
        if (root == null || root.isNull()) {
            return values;
        }
        if (!root.isObject()) {
            throw new ConfigException("config " + file + ": expected a mapping of sections ("
                    + String.join(", ", sections(byPath)) + ")");
        }
        String source = "config " + file;
        for (Map.Entry<String, JsonNode> section : root.properties()) {
            if (!(section.getValue() instanceof ObjectNode fields)) {
                throw new ConfigException(section.getKey() + ": unknown key or not a section (in " + file + ")");
            }
            for (Map.Entry<String, JsonNode> field : fields.properties()) {
                String path = section.getKey() + "." + field.getKey();
                Setting<?> setting = byPath.get(path);
                if (setting == null) {
                    throw new ConfigException(path + ": unknown key (in " + file + ")");
                }
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

    private static Set<String> sections(Map<String, Setting<?>> byPath) {
        Set<String> sections = new LinkedHashSet<>();
        byPath.values().forEach(setting -> sections.add(setting.section()));
        return sections;
    }
}
