package dev.gatehouse.http.settings;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Keeps passwords out of what the server prints and logs: {@code redis://user:secret@host} becomes
 * {@code redis://user:***@host}, and {@code redis://secret@host} (a password alone, as Redis URLs
 * allow) becomes {@code redis://***@host}.
 */
public final class Credentials {

    private static final Pattern PASSWORD_IN_URL =
            Pattern.compile("(\\b[A-Za-z][A-Za-z0-9+.-]*://(?:[^/@\\s:]*:)?)[^@/\\s]+@");

    private Credentials() {}

    /** {@code text} with the password of every URL in it replaced by {@code ***}; "null" for none (a message-less exception's). */
    public static String masked(@Nullable String text) {
        return PASSWORD_IN_URL.matcher(String.valueOf(text)).replaceAll("$1***@");
    }
}
