package dev.gatehouse.http.settings;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One configurable value, declared once next to the code that owns it: its dotted place in the YAML
 * file, its environment variable, its flags, its default, what it accepts and a one-line doc. The
 * command line, the YAML reader, {@code --print-config}, {@code --help} and the docs' settings tables
 * all come from these declarations, so a setting cannot exist in one of them and be missing from
 * another; how a value is parsed and bounded is written here, once, and the error names the setting
 * and where the value came from.
 *
 * @param <T> the type of the parsed value
 */
public final class Setting<T> {

    private final String path;
    private final String env;
    private final List<String> flags;
    private final String defaultText;
    private final String doc;
    private final String expected;
    private final Function<String, Optional<T>> parser;
    private final boolean isBoolean;
    private final boolean secret;
    private final List<String> envAliases;

    private Setting(
            String path,
            String env,
            String defaultText,
            String doc,
            String expected,
            Function<String, Optional<T>> parser,
            boolean isBoolean,
            String... flags) {
        this(path, env, List.of(), defaultText, doc, expected, parser, isBoolean, false, flags);
    }

    private Setting(
            String path,
            String env,
            List<String> envAliases,
            String defaultText,
            String doc,
            String expected,
            Function<String, Optional<T>> parser,
            boolean isBoolean,
            boolean secret,
            String... flags) {
        if (flags.length == 0 || !path.contains(".")) {
            throw new IllegalArgumentException(path + ": a setting needs a section.name path and a flag");
        }
        this.path = path;
        this.env = env;
        this.flags = List.of(flags);
        this.defaultText = defaultText;
        this.doc = doc;
        this.expected = expected;
        this.parser = parser;
        this.isBoolean = isBoolean;
        this.secret = secret;
        this.envAliases = List.copyOf(envAliases);
        if (parser.apply(defaultText).isEmpty()) {
            throw new IllegalArgumentException(path + ": default \"" + defaultText + "\" is not " + expected);
        }
    }

    /** Any text (trimmed); empty when {@code allowEmpty}, which then means "none". */
    public static Setting<String> text(
            String path, String env, String defaultText, boolean allowEmpty, String doc, String... flags) {
        return new Setting<>(
                path,
                env,
                defaultText,
                doc,
                allowEmpty ? "any text, or empty" : "a non-empty text",
                text -> allowEmpty || !text.isEmpty() ? Optional.of(text) : Optional.empty(),
                false,
                flags);
    }

    /**
     * A text that must not be shown (a signing secret, API keys): {@code --print-config} and error
     * messages say only whether it is set. Empty means "none".
     */
    public static Setting<String> secret(String path, String env, String doc, String... flags) {
        return new Setting<>(path, env, List.of(), "", doc, "any text, or empty", Optional::of, false, true, flags);
    }

    /**
     * This setting, also read from the environment variable {@code alias} when its own is not set
     * (another project's name for it, say).
     */
    public Setting<T> withEnvAlias(String alias) {
        List<String> aliases = new java.util.ArrayList<>(envAliases);
        aliases.add(alias);
        return new Setting<>(
                path,
                env,
                aliases,
                defaultText,
                doc,
                expected,
                parser,
                isBoolean,
                secret,
                flags.toArray(String[]::new));
    }

    /** A decimal integer in {@code min..max}. */
    public static Setting<Integer> integer(
            String path, String env, int defaultValue, int min, int max, String doc, String... flags) {
        return new Setting<>(
                path,
                env,
                Integer.toString(defaultValue),
                doc,
                range(min, max),
                text -> parseLong(text).filter(v -> v >= min && v <= max).map(Long::intValue),
                false,
                flags);
    }

    /** A decimal integer in {@code min..max}, such as a number of milliseconds. */
    public static Setting<Long> longInteger(
            String path, String env, long defaultValue, long min, long max, String doc, String... flags) {
        return new Setting<>(
                path,
                env,
                Long.toString(defaultValue),
                doc,
                range(min, max),
                text -> parseLong(text).filter(v -> v >= min && v <= max),
                false,
                flags);
    }

    /** {@code true} or {@code false} in the spellings Go's {@code strconv.ParseBool} takes; a flag alone means true. */
    public static Setting<Boolean> bool(String path, String env, boolean defaultValue, String doc, String... flags) {
        return new Setting<>(
                path, env, Boolean.toString(defaultValue), doc, "true or false", BooleanText::parse, true, flags);
    }

    /**
     * One of {@code words} (case-insensitive), each standing for a value; the first word of a value
     * is its name in messages.
     */
    public static <E> Setting<E> choice(
            String path, String env, String defaultWord, Map<String, E> words, String doc, String... flags) {
        String expected = words.keySet().stream().sorted().collect(Collectors.joining(", "));
        return new Setting<>(
                path,
                env,
                defaultWord,
                doc,
                "one of " + expected,
                text -> Optional.ofNullable(words.get(text.toLowerCase(Locale.ROOT))),
                false,
                flags);
    }

    private static String range(long min, long max) {
        return "an integer in " + min + ".." + max;
    }

    private static Optional<Long> parseLong(String text) {
        try {
            return Optional.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@code text} (trimmed) parsed, or empty when it is not what the setting accepts. */
    Optional<T> parse(String text) {
        return parser.apply(text.trim());
    }

    /** The dotted place in the YAML file, such as {@code rate.max-requests}. */
    public String path() {
        return path;
    }

    /** The YAML section: the part of the path before the first dot. */
    public String section() {
        return path.substring(0, path.indexOf('.'));
    }

    /** The environment variable that sets it. */
    public String env() {
        return env;
    }

    /** Other environment variables that set it when {@link #env()} is not set, in order. */
    public List<String> envAliases() {
        return envAliases;
    }

    /** Whether its value must not be shown. */
    public boolean isSecret() {
        return secret;
    }

    /** The flags that set it, long one first. */
    public List<String> flags() {
        return flags;
    }

    /** The value used when nothing sets it, as text. */
    public String defaultText() {
        return defaultText;
    }

    /** One line saying what it does. */
    public String doc() {
        return doc;
    }

    /** What it accepts, for messages: {@code an integer in 1..65535}. */
    public String expected() {
        return expected;
    }

    /** Whether it takes {@code true}/{@code false} (a flag alone means {@code true}). */
    public boolean isBoolean() {
        return isBoolean;
    }

    @Override
    public String toString() {
        return path;
    }
}
