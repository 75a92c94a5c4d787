package dev.gatehouse.jdbc;

import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where a PostgreSQL database is, parsed from the forms operators already have: GatekeeperAPI's
 * SQLAlchemy URL ({@code postgresql+asyncpg://user:password@host:5432/db}), libpq's ({@code
 * postgresql://…}, {@code postgres://…}) or pgjdbc's ({@code jdbc:postgresql:…}). It gives the JDBC
 * URL (never holding the password), the user and the password apart, and {@link #masked()} for logs.
 */
public final class DatabaseUrl {

    /*
     * Design: the URL forms are read as SQLAlchemy's make_url reads them, since GatekeeperAPI's URLs
     * are what must keep working: the user name runs to the first ':', '/' or '@', the password to
     * the next '@', both percent-decoded ('+' stays a plus). A password holding a raw '@' therefore
     * cannot be told from the host, so any '@' after the user information is refused with the advice
     * to write it %40. Error messages quote nothing of the URL but query parameter names and the values of
     * ssl modes and timeouts (all after the user information, so never part of the password): a mistyped
     * URL must not put its password in a log. A JDBC URL is passed on as written, less its user and
     * password parameters, which pgjdbc reads with URLDecoder ('+' a space), so they are read alike.
     */

    private static final Pattern SCHEME = Pattern.compile("(postgresql(?:\\+[a-z0-9_]+)?|postgres)://");
    private static final Pattern USER_INFO = Pattern.compile("([^:/@]*)(?::([^@]*))?@");
    private static final Pattern HOST_AND_PORT =
            Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::([^/?#]*))?");
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Set<String> SSL_MODES =
            Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    private static final String ACCEPTED_PARAMETERS = "sslmode, ssl, application_name, connect_timeout";
    private static final String EXAMPLE = "postgresql://user:password@host:5432/database";
    private static final String MASK = "***";

    private final String jdbcUrl;
    private final @Nullable String user;
    private final @Nullable String password;
    private final @Nullable String schema;
    private final String masked;

    private DatabaseUrl(
            String jdbcUrl, @Nullable String user, @Nullable String password, @Nullable String schema, String masked) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.schema = schema;
        this.masked = masked;
    }

    /**
     * Parses {@code url}; an {@link IllegalArgumentException} names what is wrong with it and never
     * quotes the password.
     */
    public static DatabaseUrl parse(String url) {
        String text = url.strip();
        if (text.isEmpty()) {
            throw invalid("empty (expected: " + EXAMPLE + ")");
        }
        if (text.startsWith("jdbc:")) {
            return parseJdbc(text);
        }
        Matcher scheme = SCHEME.matcher(text);
        if (!scheme.lookingAt()) {
            throw invalid("unknown scheme (expected: postgresql://, postgres://, postgresql+asyncpg:// or"
                    + " jdbc:postgresql:, as in " + EXAMPLE + ")");
        }
        return parseUrl(text, scheme.end());
    }

    /** The JDBC URL for pgjdbc: host, port, database and connection parameters; never the password. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The user name, percent-decoded; empty when the URL names none. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** The password, percent-decoded; empty when the URL holds none. */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** The schema a JDBC URL names with {@code currentSchema}; empty otherwise. */
    public Optional<String> schema() {
        return Optional.ofNullable(schema);
    }

    /** The URL as given with its password replaced by {@code ***}: for logs and messages. */
    public String masked() {
        return masked;
    }

    /** {@link #masked()}: a URL printed by mistake shows no password. */
    @Override
    public String toString() {
        return masked;
    }

    private static DatabaseUrl parseUrl(String text, int afterScheme) {
        String scheme = text.substring(0, afterScheme - "://".length());
        int position = afterScheme;
        String user = null;
        String password = null;
        String masked = text;
        Matcher userInfo = USER_INFO.matcher(text).region(position, text.length());
        if (userInfo.lookingAt()) {
            user = decodeComponent(userInfo.group(1), "user name");
            if (user.isEmpty()) {
                user = null;
            }
            if (userInfo.group(2) != null) {
                password = decodeComponent(userInfo.group(2), "password");
                masked = text.substring(0, userInfo.start(2)) + MASK + text.substring(userInfo.end(2));
            }
            position = userInfo.end();
        }
        if (text.indexOf('@', position) >= 0) {
            throw invalid("'@' after the user information (write an '@' in the user name or password as %40)");
        }
        Matcher hostAndPort = HOST_AND_PORT.matcher(text).region(position, text.length());
        if (!hostAndPort.lookingAt()) {
            throw invalid("no host, or a host that is not a name or an address (expected: " + EXAMPLE + ")");
        }
        String host = hostAndPort.group(1);
        String port = hostAndPort.group(2);
        if (port != null && !isPort(port)) {
            throw invalid("the port is not a number in 1..65535 (one host only: " + EXAMPLE + ")");
        }
        position = hostAndPort.end();
        if (position == text.length() || text.charAt(position) != '/') {
            throw invalid("no database name (expected: " + EXAMPLE + ")");
        }
        int queryStart = text.indexOf('?', position);
        int databaseEnd = queryStart < 0 ? text.length() : queryStart;
        if (text.indexOf('#', position) >= 0) {
            throw invalid("a '#' fragment (a database URL has none; write a '#' in the password as %23)");
        }
        String database = decodeComponent(text.substring(position + 1, databaseEnd), "database name");
        if (database.isEmpty()) {
            throw invalid("no database name (expected: " + EXAMPLE + ")");
        }
        Map<String, String> parameters = jdbcParameters(queryStart < 0 ? "" : text.substring(queryStart + 1), scheme);
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(host);
        if (port != null) {
            jdbc.append(':').append(port);
        }
        jdbc.append('/').append(URLEncoder.encode(database, StandardCharsets.UTF_8));
        char separator = '?';
        for (Map.Entry<String, String> parameter : parameters.entrySet()) {
            jdbc.append(separator)
                    .append(parameter.getKey())
                    .append('=')
                    .append(URLEncoder.encode(parameter.getValue(), StandardCharsets.UTF_8));
            separator = '&';
        }
        return new DatabaseUrl(jdbc.toString(), user, password, null, masked);
    }

    /** The URL's query parameters as pgjdbc's; refuses those it does not know. */
    private static Map<String, String> jdbcParameters(String query, String scheme) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (query.isEmpty()) {
            return parameters;
        }
        List<String> seen = new ArrayList<>();
        for (String pair : query.split("&", -1)) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String value = decodeComponent(equals < 0 ? "" : pair.substring(equals + 1), "parameter " + name);
            if (seen.contains(name)) {
                throw invalid("parameter " + name + " given twice");
            }
            seen.add(name);
            switch (name) {
                case "sslmode" -> parameters.put("sslmode", sslMode(name, value));
                case "ssl" -> parameters.put("sslmode", sslMode(name, asyncpgSsl(value)));
                case "application_name" -> parameters.put("ApplicationName", value);
                case "connect_timeout" -> {
                    if (!value.matches("[0-9]{1,4}")) {
                        throw invalid("parameter connect_timeout \"" + value + "\" (expected: whole seconds)");
                    }
                    parameters.put("connectTimeout", value);
                }
                default ->
                    throw invalid("parameter " + (name.matches("[A-Za-z0-9_.-]{1,40}") ? name : "(unreadable)")
                            + " is not supported in a " + scheme + ":// URL (supported: " + ACCEPTED_PARAMETERS
                            + "; or give a jdbc:postgresql: URL)");
            }
        }
        if (seen.contains("ssl") && seen.contains("sslmode")) {
            throw invalid("both ssl and sslmode given (give one)");
        }
        return parameters;
    }

    /** asyncpg's {@code ssl} takes libpq's modes and also true and false. */
    private static String asyncpgSsl(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> "require";
            case "false" -> "disable";
            default -> value;
        };
    }

    private static String sslMode(String name, String value) {
        if (!SSL_MODES.contains(value)) {
            throw invalid("parameter " + name + " \"" + value
                    + "\" (expected: one of disable, allow, prefer, require, verify-ca, verify-full)");
        }
        return value;
    }

    private static DatabaseUrl parseJdbc(String text) {
        if (!text.startsWith("jdbc:postgresql:")) {
            throw invalid("a JDBC URL for another database (expected: jdbc:postgresql://host:5432/database)");
        }
        int queryStart = text.indexOf('?');
        if (queryStart < 0) {
            return new DatabaseUrl(text, null, null, null, text);
        }
        String user = null;
        String password = null;
        String schema = null;
        List<String> kept = new ArrayList<>();
        List<String> maskedPairs = new ArrayList<>();
        for (String pair : text.substring(queryStart + 1).split("&", -1)) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            String rawValue = equals < 0 ? "" : pair.substring(equals + 1);
            switch (name) {
                case "user" -> {
                    user = formDecode(rawValue, "user");
                    maskedPairs.add(pair);
                }
                case "password" -> {
                    password = formDecode(rawValue, "password");
                    maskedPairs.add("password=" + MASK);
                }
                case "currentSchema" -> {
                    schema = formDecode(rawValue, "currentSchema");
                    if (!SCHEMA_NAME.matcher(schema).matches()) {
                        throw invalid("currentSchema \"" + schema
                                + "\" (expected: one schema name of a-z 0-9 _, from a-z or _, at most 63)");
                    }
                    kept.add(pair);
                    maskedPairs.add(pair);
                }
                default -> {
                    kept.add(pair);
                    maskedPairs.add(pair);
                }
            }
        }
        String base = text.substring(0, queryStart);
        String jdbcUrl = kept.isEmpty() ? base : base + "?" + String.join("&", kept);
        String masked = maskedPairs.isEmpty() ? base : base + "?" + String.join("&", maskedPairs);
        return new DatabaseUrl(jdbcUrl, emptyAsNone(user), password, schema, masked);
    }

    private static @Nullable String emptyAsNone(@Nullable String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    /** {@code raw} decoded as pgjdbc decodes URL parameters ({@code +} a space). */
    private static String formDecode(String raw, String what) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("the " + what + " parameter has a '%' not followed by two hex digits");
        }
    }

    /** {@code raw} percent-decoded as UTF-8, {@code +} kept; the message names {@code what}, never the text. */
    private static String decodeComponent(String raw, String what) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        int i = 0;
        while (i < raw.length()) {
            int percent = raw.indexOf('%', i);
            int plainEnd = percent < 0 ? raw.length() : percent;
            bytes.writeBytes(raw.substring(i, plainEnd).getBytes(StandardCharsets.UTF_8));
            if (percent < 0) {
                break;
            }
            int high = percent + 1 < raw.length() ? hexValue(raw.charAt(percent + 1)) : -1;
            int low = percent + 2 < raw.length() ? hexValue(raw.charAt(percent + 2)) : -1;
            if (high < 0 || low < 0) {
                throw invalid("the " + what + " has a '%' not followed by two hex digits (write a '%' as %25)");
            }
            bytes.write(high * 16 + low);
            i = percent + 3;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalid("the " + what + " is not UTF-8 once percent-decoded");
        }
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static boolean isPort(String text) {
        if (!text.matches("[0-9]{1,5}")) {
            return false;
        }
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65_535;
    }

    private static IllegalArgumentException invalid(String problem) {
        return new IllegalArgumentException("database URL: " + problem);
    }
}
