package dev.gatehouse.http.settings;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Keeps passwords out of what the server prints and logs: {@code redis://user:secret@host} becomes
 * {@code redis://user:***@host}, {@code redis://secret@host} (a password alone, as Redis URLs
 * allow) becomes {@code redis://***@host}, and a {@code password} parameter ({@code
 * jdbc:postgresql://host/db?user=u&password=secret}, as pgjdbc takes it) becomes {@code password=***}.
 */
public final class Credentials {

    private static final Pattern PASSWORD_IN_URL =
            Pattern.compile("(\\b[A-Za-z][A-Za-z0-9+.-]*://(?:[^/@\\s:]*:)?)[^@/\\s]+@");
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("([?&;]password=)[^&;\\s\"]+");

    private Credentials() {}

    /** {@code text} with the password of every URL in it replaced by {@code ***}; "null" for none (a message-less exception's). */
    public static String masked(@Nullable String text) {
        String masked = PASSWORD_IN_URL.matcher(String.valueOf(text)).replaceAll("$1***@");
        return PASSWORD_PARAMETER.matcher(masked).replaceAll("$1***");
    }
}
