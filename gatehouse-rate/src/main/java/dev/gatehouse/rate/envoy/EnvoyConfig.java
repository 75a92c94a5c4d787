package dev.gatehouse.rate.envoy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * envoyproxy/ratelimit's configuration: one domain per YAML file, each a tree of descriptors, read
 * with its rules and answered with its words where a file breaks them ({@code config error, unknown
 * key 'x'}, {@code duplicate domain 'd' in config file}, …, each after the file's name). Immutable;
 * a reload reads a new one.
 *
 * <p>A request's descriptor is matched entry by entry down its domain's tree: at each level the
 * node of the entry's key and value, else the first wildcard value ({@code *} for any run of
 * characters) that matches, else the node of the key alone (any value); the limit is the one of the
 * node the last entry reaches, none when it has none or when a level has no match.
 */
public final class EnvoyConfig {

    /** The longest configuration file read, in bytes. */
    public static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

    private static final Set<String> KEYS = Set.of(
            "domain",
            "key",
            "value",
            "descriptors",
            "rate_limit",
            "unit",
            "requests_per_unit",
            "unlimited",
            "shadow_mode",
            "quota_mode",
            "name",
            "replaces",
            "detailed_metric",
            "value_to_metric",
            "share_threshold",
            "metadata");

    private static final long MAX_UINT32 = 0xFFFF_FFFFL;

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Map<String, Node> domains;

    private EnvoyConfig(Map<String, Node> domains) {
        this.domains = Map.copyOf(domains);
    }

    /** A configuration with no domain: every descriptor is unlimited until one is loaded. */
    public static EnvoyConfig empty() {
        return new EnvoyConfig(Map.of());
    }

    /**
     * Reads {@code path}: a YAML file, or every {@code .yaml} and {@code .yml} file of a directory (in
     * name order), one domain each.
     *
     * @throws IllegalArgumentException naming the file and what is wrong in it
     */
    public static EnvoyConfig read(Path path) {
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> listed = Files.list(path)) {
                files = listed.filter(file -> {
                            String name = file.getFileName().toString();
                            return Files.isRegularFile(file) && (name.endsWith(".yaml") || name.endsWith(".yml"));
                        })
                        .sorted()
                        .toList();
            } catch (IOException e) {
                throw new IllegalArgumentException(path + ": cannot list the directory (" + e.getMessage() + ")", e);
            }
        } else {
            files = List.of(path);
        }
        Map<String, String> texts = new java.util.LinkedHashMap<>();
        for (Path file : files) {
            try {
                if (Files.size(file) > MAX_FILE_BYTES) {
                    throw new IllegalArgumentException(
                            file + ": larger than " + MAX_FILE_BYTES + " bytes, the most read of a configuration file");
                }
                texts.put(file.toString(), Files.readString(file));
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": cannot be read (" + e.getMessage() + ")", e);
            }
        }
        return parse(texts);
    }

    /**
     * The configuration of {@code files} (a name, for messages, to its YAML text), one domain each.
     *
     * @throws IllegalArgumentException naming the file and what is wrong in it
     */
    public static EnvoyConfig parse(Map<String, String> files) {
        Map<String, Node> domains = new HashMap<>();
        for (Map.Entry<String, String> file : files.entrySet()) {
            String name = file.getKey();
            try {
                JsonNode root;
                try (com.fasterxml.jackson.core.JsonParser parser = YAML.createParser(file.getValue())) {
                    root = parser.nextToken() == null ? null : YAML.readTree(parser);
                    if (parser.nextToken() != null) {
                        throw new IllegalArgumentException("more than one YAML document (one domain per file)");
                    }
                } catch (JacksonException e) {
                    throw new IllegalArgumentException(
                            "error loading config file: "
                                    + e.getOriginalMessage().replaceAll("\\s+", " "),
                            e);
                } catch (IOException e) {
                    throw new IllegalArgumentException("error loading config file: " + e.getMessage(), e);
                }
                if (root == null || root.isMissingNode() || root.isNull()) {
                    throw new IllegalArgumentException("config file cannot have empty domain");
                }
                checkKeys(root);
                String domain = text(root, "domain");
                if (domain.isEmpty()) {
                    throw new IllegalArgumentException("config file cannot have empty domain");
                }
                if (domains.containsKey(domain)) {
                    throw new IllegalArgumentException("duplicate domain '" + domain + "' in config file");
                }
                Node tree = new Node();
                descriptors(root.get("descriptors"), domain, tree);
                domains.put(domain, tree);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        }
        return new EnvoyConfig(domains);
    }

    /** Whether {@code domain} is configured. */
    public boolean hasDomain(String domain) {
        return domains.containsKey(domain);
    }

    /** The configured domains. */
    public Set<String> domains() {
        return domains.keySet();
    }

    /**
     * The limit {@code entries} reach in {@code domain}, with the values its counter is kept under
     * (a {@code share_threshold} level's pattern in place of the value); empty: no limit.
     */
    Optional<Match> match(String domain, List<Descriptor.Entry> entries) {
        Node level = domains.get(domain);
        if (level == null) {
            return Optional.empty();
        }
        List<String> counted = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Descriptor.Entry entry = entries.get(i);
            Node node = level.byKeyValue.get(entry.key() + '\u0000' + entry.value());
            if (node == null) {
                node = level.wildcard(entry);
            }
            if (node == null) {
                node = level.byKey.get(entry.key());
            }
            if (node == null) {
                return Optional.empty();
            }
            counted.add(node.sharedPattern != null ? node.sharedPattern : entry.value());
            if (i == entries.size() - 1) {
                RateLimitRule rule = node.rule;
                return rule == null ? Optional.empty() : Optional.of(new Match(rule, counted));
            }
            level = node;
        }
        return Optional.empty();
    }

    /**
     * A matched limit.
     *
     * @param rule the limit
     * @param counterValues the values the counter is kept under, one per entry
     */
    record Match(RateLimitRule rule, List<String> counterValues) {}

    /** One level of a domain's tree, and the limit of the node it belongs to. */
    private static final class Node {
        final Map<String, Node> byKeyValue = new HashMap<>();
        final Map<String, Node> byKey = new HashMap<>();
        final List<Wildcard> wildcards = new ArrayList<>();

        @Nullable
        RateLimitRule rule;

        @Nullable
        String sharedPattern;

        @Nullable
        Node wildcard(Descriptor.Entry entry) {
            for (Wildcard wildcard : wildcards) {
                if (wildcard.key().equals(entry.key()) && wildcard.matches(entry.value())) {
                    return wildcard.node();
                }
            }
            return null;
        }
    }

    /** A value with {@code *}: each one any run of characters, the parts between found in order. */
    private record Wildcard(String key, List<String> parts, Node node) {
        static Wildcard of(String key, String pattern, Node node) {
            return new Wildcard(key, List.of(pattern.split("\\*", -1)), node);
        }

        boolean matches(String value) {
            String first = parts.getFirst();
            String last = parts.getLast();
            if (!value.startsWith(first)) {
                return false;
            }
            int at = first.length();
            for (int i = 1; i < parts.size() - 1; i++) {
                int found = value.indexOf(parts.get(i), at);
                if (found < 0) {
                    return false;
                }
                at = found + parts.get(i).length();
            }
            return value.length() - last.length() >= at && value.endsWith(last);
        }
    }

    private static void descriptors(@Nullable JsonNode list, String path, Node level) {
        if (list == null || list.isNull()) {
            return;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("descriptors of '" + path + "' must be a list");
        }
        Set<String> seen = new HashSet<>();
        for (JsonNode descriptor : list) {
            if (!descriptor.isObject()) {
                throw new IllegalArgumentException("a descriptor of '" + path + "' must be a map");
            }
            checkKeys(descriptor);
            String key = text(descriptor, "key");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("descriptor has empty key");
            }
            JsonNode valueNode = descriptor.get("value");
            String value = valueNode == null || valueNode.isNull() ? "" : scalar(valueNode, "value");
            String composite = value.isEmpty() ? key : key + "_" + value;
            String full = path + "." + composite;
            if (!seen.add(composite)) {
                throw new IllegalArgumentException("duplicate descriptor composite key '" + full + "'");
            }
            Node node = new Node();
            node.rule = rule(descriptor, full);
            boolean shared = flag(descriptor, "share_threshold");
            if (shared) {
                if (!value.contains("*")) {
                    throw new IllegalArgumentException(
                            "share_threshold can only be used with wildcard values (containing '*'), but found key '"
                                    + full + "'");
                }
                node.sharedPattern = value;
            }
            if (flag(descriptor, "quota_mode")) {
                throw new IllegalArgumentException(
                        "quota_mode is not supported (descriptor '" + full + "'); remove it or set it to false");
            }
            descriptors(descriptor.get("descriptors"), full, node);
            if (value.isEmpty()) {
                level.byKey.put(key, node);
            } else if (value.contains("*")) {
                level.wildcards.add(Wildcard.of(key, value, node));
            } else {
                level.byKeyValue.put(key + '\u0000' + value, node);
            }
        }
    }

    private static @Nullable RateLimitRule rule(JsonNode descriptor, String path) {
        JsonNode limit = descriptor.get("rate_limit");
        boolean shadow = flag(descriptor, "shadow_mode");
        if (limit == null || limit.isNull()) {
            return null;
        }
        if (!limit.isObject()) {
            throw new IllegalArgumentException("rate_limit of '" + path + "' must be a map");
        }
        checkKeys(limit);
        boolean unlimited = flag(limit, "unlimited");
        JsonNode unitNode = limit.get("unit");
        String unitName = unitNode == null || unitNode.isNull() ? "" : scalar(unitNode, "unit");
        Unit unit;
        if (unlimited) {
            if (!unitName.isEmpty()) {
                throw new IllegalArgumentException("should not specify rate limit unit when unlimited");
            }
            unit = Unit.SECOND;
        } else {
            unit = Unit.ofName(unitName)
                    .orElseThrow(() -> new IllegalArgumentException("invalid rate limit unit '" + unitName + "'"));
        }
        long requests = 0;
        JsonNode requestsNode = limit.get("requests_per_unit");
        if (requestsNode != null && !requestsNode.isNull()) {
            if (!requestsNode.canConvertToLong()
                    || !requestsNode.isIntegralNumber()
                    || requestsNode.asLong() < 0
                    || requestsNode.asLong() > MAX_UINT32) {
                throw new IllegalArgumentException("requests_per_unit of '" + path + "': " + requestsNode
                        + " (expected: a whole number from 0 to " + MAX_UINT32 + ")");
            }
            requests = requestsNode.asLong();
        }
        JsonNode nameNode = limit.get("name");
        Optional<String> name = nameNode == null
                        || nameNode.isNull()
                        || scalar(nameNode, "name").isEmpty()
                ? Optional.empty()
                : Optional.of(scalar(nameNode, "name"));
        Set<String> replaces = new HashSet<>();
        JsonNode replacesNode = limit.get("replaces");
        if (replacesNode != null && !replacesNode.isNull()) {
            if (!replacesNode.isArray()) {
                throw new IllegalArgumentException("replaces of '" + path + "' must be a list");
            }
            for (JsonNode replaced : replacesNode) {
                if (!replaced.isObject()) {
                    throw new IllegalArgumentException("a replaces entry of '" + path + "' must be a map");
                }
                checkKeys(replaced);
                String replacedName = text(replaced, "name");
                if (replacedName.isEmpty()) {
                    throw new IllegalArgumentException("should not have an empty replaces entry");
                }
                if (name.isPresent() && name.get().equals(replacedName)) {
                    throw new IllegalArgumentException("replaces should not contain name of same descriptor");
                }
                replaces.add(replacedName);
            }
        }
        return new RateLimitRule(requests, unit, name, unlimited, shadow, replaces);
    }

    /** Refuses a map with a key envoyproxy/ratelimit does not know ({@code metadata}'s contents are free). */
    private static void checkKeys(JsonNode map) {
        if (!map.isObject()) {
            throw new IllegalArgumentException(
                    "expected a map, found " + map.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        for (Iterator<String> names = map.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KEYS.contains(name)) {
                throw new IllegalArgumentException("config error, unknown key '" + name + "'");
            }
        }
    }

    private static String text(JsonNode map, String field) {
        JsonNode node = map.get(field);
        return node == null || node.isNull() ? "" : scalar(node, field);
    }

    private static String scalar(JsonNode node, String field) {
        if (!node.isValueNode()) {
            throw new IllegalArgumentException(field + " must be a scalar");
        }
        return node.asText();
    }

    private static boolean flag(JsonNode map, String field) {
        JsonNode node = map.get(field);
        if (node == null || node.isNull()) {
            return false;
        }
        if (node.getNodeType() != JsonNodeType.BOOLEAN) {
            throw new IllegalArgumentException(field + ": " + node + " (expected: true or false)");
        }
        return node.asBoolean();
    }
}
