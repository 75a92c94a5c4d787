package dev.gatehouse.http.page;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.http.settings.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How a waiting page looks and speaks: its title, logo, where a visitor goes when it is their turn
 * (and the query parameter the token rides in), its language, texts per language over the page's
 * English ones, and colours. Every field but the title, token parameter and language may be absent.
 */
public record PageLook(
        String title,
        @Nullable String logoUrl,
        @Nullable String returnUrl,
        String tokenParam,
        String defaultLanguage,
        Map<String, Map<String, String>> languages,
        Map<String, String> colors) {

    /** The colours a look may set, as the page's stylesheet names them ({@code --gh-…}). */
    public static final List<String> COLORS =
            List.of("background", "surface", "text", "muted", "accent", "accent_text");

    /** The keys of a look's map. */
    public static final Set<String> KEYS =
            Set.of("title", "logo_url", "return_url", "token_param", "default_language", "languages", "colors");

    /** The look of a page nobody configured. */
    public static final PageLook DEFAULT =
            new PageLook("Waiting room", null, null, "gatehouse_token", "en", Map.of(), Map.of());

    private static final Pattern COLOR = Pattern.compile("#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})");
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?");
    private static final Pattern TEXT_KEY = Pattern.compile("[a-z][a-z_]{0,39}");
    private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9_.~-]{1,64}");
    private static final Pattern COMMA = Pattern.compile(",");
    private static final Pattern SEMICOLON = Pattern.compile(";");
    private static final Pattern HYPHEN = Pattern.compile("-");
    private static final int MAX_TEXT_CHARS = 500;
    private static final int MAX_URL_CHARS = 2_048;
    private static final int MAX_LANGUAGES = 50;
    private static final int MAX_ACCEPT_LANGUAGE_CHARS = 1_000;

    public PageLook {
        languages = Map.copyOf(languages);
        colors = Map.copyOf(colors);
    }

    /** The text {@code key} in {@code language}, if the look gives one. */
    public Optional<String> text(String language, String key) {
        return Optional.ofNullable(languages.getOrDefault(language, Map.of()).get(key));
    }

    /**
     * The page's language: {@code asked} ({@code ?lang=}) when the look speaks it or it is English,
     * else the first of {@code acceptLanguage} that is, else the look's default.
     */
    public String language(String asked, @Nullable String acceptLanguage) {
        String wanted = spoken(asked);
        if (wanted != null) {
            return wanted;
        }
        if (acceptLanguage != null && acceptLanguage.length() <= MAX_ACCEPT_LANGUAGE_CHARS) {
            for (String range : COMMA.split(acceptLanguage, -1)) {
                String tag = SEMICOLON.split(range, 2)[0].trim();
                String spoken = spoken(tag);
                if (spoken != null) {
                    return spoken;
                }
            }
        }
        return defaultLanguage;
    }

    private @Nullable String spoken(String tag) {
        String lower = tag.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.length() > 20) {
            return null;
        }
        String primary = HYPHEN.split(lower, 2)[0];
        for (String candidate : List.of(lower, primary)) {
            if (languages.containsKey(candidate) || candidate.equals("en") || candidate.equals(defaultLanguage)) {
                return candidate;
            }
        }
        return null;
    }

    /** The look's colours as the page's stylesheet reads them: {@code --gh-…} properties, in one order. */
    public String themeCss() {
        StringBuilder css = new StringBuilder(":root {\n");
        for (String name : COLORS) {
            String color = colors.get(name);
            if (color != null) {
                css.append("  --gh-")
                        .append(name.replace('_', '-'))
                        .append(": ")
                        .append(color)
                        .append(";\n");
            }
        }
        return css.append("}\n").toString();
    }

    /**
     * The look a config's map gives, {@code path} naming it in messages. Unknown keys, colours that
     * are not {@code #rgb} or {@code #rrggbb}, URLs that are not absolute http(s) and texts over
     * their bounds are refused with a {@link ConfigException}, each named by its path.
     */
    public static PageLook read(String path, JsonNode node) {
        if (!node.isObject()) {
            throw new ConfigException(path + ": expected a map of " + sorted(KEYS));
        }
        for (String key : iterable(node)) {
            if (!KEYS.contains(key)) {
                throw new ConfigException(path + "." + key + ": unknown key (expected one of " + sorted(KEYS) + ")");
            }
        }
        String title = text(path, node, "title", MAX_TEXT_CHARS).orElse(DEFAULT.title());
        String logo = url(path, node, "logo_url").orElse(null);
        String back = url(path, node, "return_url").orElse(null);
        String param = text(path, node, "token_param", 64).orElse(DEFAULT.tokenParam());
        if (!PARAM.matcher(param).matches()) {
            throw new ConfigException(path + ".token_param: \"" + param + "\" (expected: 1-64 of A-Z a-z 0-9 _ . ~ -)");
        }
        String language = text(path, node, "default_language", 20)
                .orElse(DEFAULT.defaultLanguage())
                .toLowerCase(Locale.ROOT); // as the languages' keys: one spelling of a tag
        if (!LANGUAGE.matcher(language).matches()) {
            throw new ConfigException(
                    path + ".default_language: \"" + language + "\" (expected a language tag: en, de, pt-BR)");
        }
        return new PageLook(
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
        return languages;
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
        return colors;
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
