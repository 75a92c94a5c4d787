package dev.gatehouse.server.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.http.settings.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How each room's hosted waiting page looks and speaks, from the file of {@code room.pages-file}: a
 * YAML map from tenant id (or {@code *}, every room without its own entry) to a look. Unknown keys,
 * colours that are not {@code #rgb} or {@code #rrggbb}, URLs that are not http(s) and texts over
 * their bounds are refused at start, each named by its path in the file.
 */
final class PageLooks {

    /** The colours a look may set, as the page's stylesheet names them ({@code --gh-…}). */
    static final List<String> COLORS = List.of("background", "surface", "text", "muted", "accent", "accent_text");

    private static final Set<String> KEYS =
            Set.of("title", "logo_url", "return_url", "token_param", "default_language", "languages", "colors");
    private static final Pattern COLOR = Pattern.compile("#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})");
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?");
    private static final Pattern TEXT_KEY = Pattern.compile("[a-z][a-z_]{0,39}");
    private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9_.~-]{1,64}");
    private static final int MAX_TEXT_CHARS = 500;
    private static final int MAX_URL_CHARS = 2_048;
    private static final int MAX_LANGUAGES = 50;
    private static final long MAX_FILE_BYTES = 1 << 20;

    /** A room page's look: every field but the title, token parameter and language may be absent. */
    record Look(
            String title,
            @Nullable String logoUrl,
            @Nullable String returnUrl,
            String tokenParam,
            String defaultLanguage,
            Map<String, Map<String, String>> languages,
            Map<String, String> colors) {

        static final Look DEFAULT = new Look("Waiting room", null, null, "gatehouse_token", "en", Map.of(), Map.of());

        /** The text {@code key} in {@code language}, if the look gives one. */
        Optional<String> text(String language, String key) {
            return Optional.ofNullable(
                    languages.getOrDefault(language, Map.of()).get(key));
        }
    }

    private final Map<String, Look> byRoom;
    private final Look fallback;

    private PageLooks(Map<String, Look> byRoom, Look fallback) {
        this.byRoom = byRoom;
        this.fallback = fallback;
    }

    /** No file: every room looks the default way. */
    static final PageLooks DEFAULTS = new PageLooks(Map.of(), Look.DEFAULT);

    /** The looks of {@code file}, or the defaults without one; throws {@link ConfigException} naming what is wrong. */
    static PageLooks read(Optional<String> file) {
        if (file.isEmpty()) {
            return DEFAULTS;
        }
        String where = "room.pages-file: " + file.get();
        JsonNode root;
        try {
            Path path = Path.of(file.get());
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new ConfigException(where + ": larger than 1 MiB");
            }
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(path));
        } catch (JsonProcessingException e) {
            throw new ConfigException(where + ": not YAML: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException config) {
                throw config;
            }
            throw new ConfigException(where + ": cannot be read (" + e.getMessage() + ")", e);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return DEFAULTS;
        }
        if (!root.isObject()) {
            throw new ConfigException(where + ": expected a map from room (tenant id, or *) to its page");
        }
        Map<String, Look> looks = new LinkedHashMap<>();
        Look fallback = Look.DEFAULT;
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            Look look = look(where + ": " + entry.getKey(), entry.getValue());
            if (entry.getKey().equals("*")) {
                fallback = look;
            } else {
                looks.put(entry.getKey(), look);
            }
        }
        return new PageLooks(Map.copyOf(looks), fallback);
    }

    /** The look of {@code room}: its own, else the file's {@code *}, else the default. */
    Look of(String room) {
        return byRoom.getOrDefault(room, fallback);
    }

    private static Look look(String path, JsonNode node) {
        if (!node.isObject()) {
            throw new ConfigException(path + ": expected a map of " + sorted(KEYS));
        }
        for (String key : iterable(node)) {
            if (!KEYS.contains(key)) {
                throw new ConfigException(path + "." + key + ": unknown key (expected one of " + sorted(KEYS) + ")");
            }
        }
        Look defaults = Look.DEFAULT;
        String title = text(path, node, "title", MAX_TEXT_CHARS).orElse(defaults.title());
        String logo = url(path, node, "logo_url").orElse(null);
        String back = url(path, node, "return_url").orElse(null);
        String param = text(path, node, "token_param", 64).orElse(defaults.tokenParam());
        if (!PARAM.matcher(param).matches()) {
            throw new ConfigException(path + ".token_param: \"" + param + "\" (expected: 1-64 of A-Z a-z 0-9 _ . ~ -)");
        }
        String language = text(path, node, "default_language", 20)
                .orElse(defaults.defaultLanguage())
                .toLowerCase(Locale.ROOT); // as the languages' keys: one spelling of a tag
        if (!LANGUAGE.matcher(language).matches()) {
            throw new ConfigException(
                    path + ".default_language: \"" + language + "\" (expected a language tag: en, de, pt-BR)");
        }
        return new Look(
                title,
                logo,
                back,
                param,
                language,
                languages(path, node.get("languages")),
                colors(path, node.get("colors")));
    }

    private static Map<String, Map<String, String>> languages(String path, @Nullable JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject() || node.size() > MAX_LANGUAGES) {
            throw new ConfigException(path + ".languages: expected a map of at most " + MAX_LANGUAGES
                    + " languages, each a map of text keys to texts");
        }
        Map<String, Map<String, String>> languages = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> language : node.properties()) {
            String where = path + ".languages." + language.getKey();
            if (!LANGUAGE.matcher(language.getKey()).matches()) {
                throw new ConfigException(where + ": not a language tag (en, de, pt-BR)");
            }
            if (!language.getValue().isObject()) {
                throw new ConfigException(where + ": expected a map of text keys to texts");
            }
            Map<String, String> texts = new LinkedHashMap<>();
            for (String key : iterable(language.getValue())) {
                if (!TEXT_KEY.matcher(key).matches()) {
                    throw new ConfigException(where + "." + key + ": not a text key (a-z and _)");
                }
                texts.put(
                        key,
                        text(where, language.getValue(), key, MAX_TEXT_CHARS).orElse(""));
            }
            languages.put(language.getKey().toLowerCase(Locale.ROOT), Map.copyOf(texts));
        }
        return Map.copyOf(languages);
    }

    private static Map<String, String> colors(String path, @Nullable JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new ConfigException(path + ".colors: expected a map of " + COLORS);
        }
        Map<String, String> colors = new LinkedHashMap<>();
        for (String key : iterable(node)) {
            String where = path + ".colors." + key;
            if (!COLORS.contains(key)) {
                throw new ConfigException(where + ": unknown colour (expected one of " + COLORS + ")");
            }
            String value = text(path + ".colors", node, key, 7).orElse("");
            if (!COLOR.matcher(value).matches()) {
                throw new ConfigException(where + ": \"" + value + "\" (expected #rgb or #rrggbb)");
            }
            colors.put(key, value.toLowerCase(Locale.ROOT));
        }
        return Map.copyOf(colors);
    }

    private static Optional<String> url(String path, JsonNode node, String key) {
        Optional<String> text = text(path, node, key, MAX_URL_CHARS);
        if (text.isEmpty()) {
            return text;
        }
        try {
            URI uri = new URI(text.get());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return text;
            }
        } catch (URISyntaxException e) {
            // refused below
        }
        throw new ConfigException(
                path + "." + key + ": \"" + text.get() + "\" (expected an absolute http or https URL)");
    }

    private static Optional<String> text(String path, JsonNode node, String key, int maxChars) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual() && !value.isNumber() && !value.isBoolean()) {
            throw new ConfigException(path + "." + key + ": expected a text");
        }
        String text = value.asText();
        if (text.length() > maxChars) {
            throw new ConfigException(
                    path + "." + key + ": " + text.length() + " characters (expected: at most " + maxChars + ")");
        }
        return Optional.of(text);
    }

    private static Iterable<String> iterable(JsonNode node) {
        return node::fieldNames;
    }

    private static List<String> sorted(Set<String> keys) {
        return keys.stream().sorted().toList();
    }
}
