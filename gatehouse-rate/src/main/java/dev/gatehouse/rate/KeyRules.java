package dev.gatehouse.rate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The key config file (gocc's format): {@code {"keys":[{"key_pattern", "key_pattern_is_regex",
 * "max_requests_per_window", "max_requests_in_queue", "window_millis"}]}}, plus an optional {@code
 * "algorithm"}. Unknown fields are rejected; a bad entry is named by its index and field.
 */
public final class KeyRules {

    /** The largest key config file read, one MiB. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    private static final Set<String> FIELDS = Set.of(
            "key_pattern",
            "key_pattern_is_regex",
            "max_requests_per_window",
            "max_requests_in_queue",
            "window_millis",
            "algorithm");

    private KeyRules() {}

    /** Reads the rules in {@code file}; throws {@link IllegalArgumentException} naming the problem. */
    public static List<KeyRule> read(Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": file not found", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            return parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the rules in {@code json}. */
    public static List<KeyRule> parse(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected an object with a \"keys\" array");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("keys")) {
                throw new IllegalArgumentException(name + ": unknown field (expected: keys)");
            }
        }
        JsonNode keys = root.path("keys");
        if (keys.isMissingNode() || keys.isNull()) {
            return List.of();
        }
        if (!keys.isArray()) {
            throw new IllegalArgumentException("keys: expected an array");
        }
        List<KeyRule> rules = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            rules.add(rule("keys[" + i + "]", keys.get(i)));
        }
        return List.copyOf(rules);
    }

    private static KeyRule rule(String where, JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected an object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException(where + "." + name + ": unknown field");
            }
        }
        JsonNode patternNode = node.path("key_pattern");
        if (!patternNode.isTextual() || patternNode.asText().isEmpty()) {
            throw new IllegalArgumentException(where + ".key_pattern: expected a non-empty string");
        }
        String pattern = patternNode.asText();
        JsonNode isRegexNode = node.path("key_pattern_is_regex");
        if (!isRegexNode.isMissingNode() && !isRegexNode.isBoolean()) {
            throw new IllegalArgumentException(where + ".key_pattern_is_regex: expected true or false");
        }
        Optional<Pattern> regex = Optional.empty();
        if (isRegexNode.asBoolean(false)) {
            try {
                regex = Optional.of(Pattern.compile(pattern));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(
                        where + ".key_pattern: not a valid regular expression: " + e.getDescription(), e);
            }
        }
        Optional<Algorithm> algorithm = Optional.empty();
        JsonNode algorithmNode = node.path("algorithm");
        if (!algorithmNode.isMissingNode() && !algorithmNode.isNull()) {
            algorithm = Optional.of(Algorithm.named(algorithmNode.asText())
                    .orElseThrow(() -> new IllegalArgumentException(where + ".algorithm: \"" + algorithmNode.asText()
                            + "\" (expected: fixed_window, sliding_window, token_bucket or concurrency)")));
        }
        return new KeyRule(
                pattern,
                regex,
                (int) count(where, node, "max_requests_per_window"),
                (int) count(where, node, "max_requests_in_queue"),
                count(where, node, "window_millis"),
                algorithm);
    }

    private static long count(String where, JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return 0;
        }
        long max = field.equals("window_millis") ? Integer.MAX_VALUE : 1_000_000_000L;
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0 || value.asLong() > max) {
            throw new IllegalArgumentException(
                    where + "." + field + ": " + value + " (expected: 0 <= " + field + " <= " + max + ")");
        }
        return value.asLong();
    }
}
