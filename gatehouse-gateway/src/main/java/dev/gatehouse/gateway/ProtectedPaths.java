package dev.gatehouse.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The path prefixes whose requests need the admission cookie. A request's path is judged as an
 * upstream may read it, the most it can be resolved: escapes decoded, backslashes as slashes,
 * parameters ({@code ;x}, as servlet containers drop them) cut from each segment, repeated slashes as
 * one, {@code .} and {@code ..} segments resolved, letters in any case. So {@code //shop}, {@code
 * /%73hop}, {@code /;x/shop} and {@code /SHOP} are under {@code /shop}, whichever of those readings
 * the upstream does. A prefix is a plain text prefix, as nginx's: {@code /shop} covers {@code
 * /shopping} too; letters are compared compatibility-decomposed (NFKD), without marks or invisible
 * characters, and case-folded, so a fullwidth, long-s or soft-hyphenated spelling is covered too.
 */
final class ProtectedPaths {

    private final List<String> prefixes;

    ProtectedPaths(List<String> prefixes) {
        this.prefixes = prefixes.stream().map(ProtectedPaths::folded).toList();
    }

    boolean isEmpty() {
        return prefixes.isEmpty();
    }

    /** Whether {@code rawPath} (as the request line has it) is under a protected prefix. */
    boolean covers(String rawPath) {
        if (prefixes.isEmpty()) {
            return false;
        }
        String path = folded(resolved(rawPath));
        for (String prefix : prefixes) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why {@code rawPath} may read as another path to some upstream than the one judged here, or
     * null; the path is decoded once for all of the checks. A {@code .} or {@code ..} segment however
     * spelled ({@code /a/..%2fb}, {@code /a\..\b}) could walk out of the upstream's base path; an
     * escape that some decoder reads otherwise ({@link #escapeProblem}); an escape that one decoding
     * leaves ({@code %252e}, {@code %25%36%31}, {@code %%36%31}, {@code %6%31}) reads as another
     * path to an upstream that decodes twice; two slashes at the start ({@code //host/admin}, {@code
     * /%5chost}) are a host to a URL parser given the path with a base (WHATWG's, Node's {@code new
     * URL}, Python's {@code urlsplit}), and one more segment here. So is any of those in a
     * compatibility spelling ({@code ．．}, {@code ‥}, a fullwidth {@code ／}, {@code ＼} or {@code
     * ％}): what an upstream that normalizes text (NFKC) reads as one.
     */
    static @Nullable String problem(String rawPath) {
        String decoded = decode(rawPath);
        String slashed = decoded.replace('\\', '/');
        if (hasDotSegment(slashed)) {
            return "a . or .. segment";
        }
        String compatibility = compatibilityProblem(decoded);
        if (compatibility != null) {
            return compatibility;
        }
        String escape = escapeProblem(rawPath);
        if (escape != null) {
            return escape;
        }
        if (hasEscape(decoded)) {
            return "an escaped escape (what one decoding leaves is an escape again, as %252e)";
        }
        if (slashed.startsWith("//")) {
            return "two slashes at its start (URL parsers read a host there)";
        }
        return null;
    }

    /**
     * Why {@code decoded} (a decoded path) reads otherwise once compatibility-normalized (NFKC), or
     * null: a slash, backslash or escape it gains, or a {@code .} or {@code ..} segment. A path of
     * ASCII alone is its own normal form.
     */
    private static @Nullable String compatibilityProblem(String decoded) {
        if (isAscii(decoded)) { // every request's path: a plain loop, no stream
            return null;
        }
        String normal = Normalizer.normalize(decoded, Normalizer.Form.NFKC);
        if (count(normal, '/') != count(decoded, '/')
                || count(normal, '\\') != count(decoded, '\\')
                || count(normal, '%') != count(decoded, '%')
                || hasDotSegment(normal.replace('\\', '/'))) {
            return "a . or .. segment, a slash, a backslash or a percent sign in a compatibility spelling"
                    + " (fullwidth: read as one by an upstream that normalizes)";
        }
        return null;
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static long count(String text, char wanted) {
        return text.chars().filter(c -> c == wanted).count();
    }

    /** Whether {@code path} (decoded, backslashes as slashes) has a {@code .} or {@code ..} segment. */
    private static boolean hasDotSegment(String path) {
        int start = 0;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            String segment = withoutParameters(path.substring(start, end));
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** {@code rawPath} decoded and resolved: {@code /a/%2e%2e//b\c} is {@code /b/c}. */
    static String resolved(String rawPath) {
        String decoded = decode(rawPath).replace('\\', '/');
        Deque<String> segments = new ArrayDeque<>();
        int start = 0;
        while (start <= decoded.length()) {
            int slash = decoded.indexOf('/', start);
            int end = slash < 0 ? decoded.length() : slash;
            String segment = withoutParameters(decoded.substring(start, end));
            start = end + 1;
            if (segment.equals("..")) {
                segments.pollLast();
            } else if (!segment.isEmpty() && !segment.equals(".")) {
                segments.addLast(segment);
            }
        }
        boolean directory = decoded.endsWith("/") || decoded.endsWith("/.") || decoded.endsWith("/..");
        String joined = "/" + String.join("/", segments);
        return directory && !segments.isEmpty() ? joined + "/" : joined;
    }

    /**
     * {@code text} as compared: compatibility-decomposed (a fullwidth letter is the letter, NFKD), its
     * marks then left out with the other characters some readings drop (so {@code ṁ} is {@code m}), and
     * case-folded both ways a code point at a time, as {@code equalsIgnoreCase} compares (so the long
     * s, the Kelvin sign and the dotted capital I meet their ASCII letters).
     */
    private static String folded(String text) {
        StringBuilder folded = new StringBuilder(text.length());
        Normalizer.normalize(text, Normalizer.Form.NFKD)
                .codePoints()
                .filter(c -> !isIgnorable(c))
                .forEach(c -> folded.appendCodePoint(Character.toLowerCase(Character.toUpperCase(c))));
        return folded.toString();
    }

    /**
     * Whether {@code c} is a character some readings of a path drop: an invisible format character
     * (a soft hyphen, zero-width space or joiner, a byte-order mark, a tag), a combining mark, or a
     * Hangul filler. {@code /adm\u00adin} is {@code /admin} to NFKC_Casefold, for one.
     */
    private static boolean isIgnorable(int c) {
        int type = Character.getType(c);
        return type == Character.FORMAT
                || type == Character.NON_SPACING_MARK
                || type == Character.ENCLOSING_MARK
                || c == 0x115F
                || c == 0x1160
                || c == 0x3164
                || c == 0xFFA0;
    }

    /** Whether {@code text} holds an escape: {@code %} and two hex digits, or IIS's {@code %u} and four. */
    private static boolean hasEscape(String text) {
        for (int i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
            if (escapedByte(text, i) >= 0 || iisEscape(text, i)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an IIS escape ({@code %u} and four hex digits: {@code %u0061} is {@code a}) starts at {@code at}. */
    private static boolean iisEscape(String text, int at) {
        if (at + 5 >= text.length() || (text.charAt(at + 1) != 'u' && text.charAt(at + 1) != 'U')) {
            return false;
        }
        for (int i = at + 2; i < at + 6; i++) {
            if (hex(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why an escape in {@code rawPath} would read as something else to some upstream, or null: an
     * escaped control character ({@code %00} ends a C string; {@code %0d%0a} splits a header a
     * backend writes the path into), or an overlong UTF-8 sequence ({@code %c0%ae} is {@code .} to a
     * lenient decoder, so {@code /a/%c0%ae%c0%ae/b} is a walk up that this class, decoding strictly,
     * cannot see; the old five- and six-byte forms too). Other bytes above ASCII pass: a legacy
     * upstream may read Latin-1 escapes ({@code %C1lvaro}).
     */
    private static @Nullable String escapeProblem(String rawPath) {
        for (int i = rawPath.indexOf('%'); i >= 0; i = rawPath.indexOf('%', i + 1)) {
            if (iisEscape(rawPath, i)) {
                return "an IIS escape (" + rawPath.substring(i, i + 6) + ", which some servers decode)";
            }
            int b = escapedByte(rawPath, i);
            if (b < 0) {
                continue;
            }
            if (b < 0x20 || b == 0x7F) {
                return "an escaped control character (" + rawPath.substring(i, i + 3) + ")";
            }
            int next = escapedByte(rawPath, i + 3);
            if (((b == 0xC0 || b == 0xC1) && next >= 0x80 && next <= 0xBF)
                    || (b == 0xE0 && next >= 0x80 && next <= 0x9F)
                    || (b == 0xF0 && next >= 0x80 && next <= 0x8F)
                    || (b == 0xF8 && next >= 0x80 && next <= 0x87)
                    || (b == 0xFC && next >= 0x80 && next <= 0x83)) {
                return "an overlong UTF-8 escape (" + rawPath.substring(i, Math.min(rawPath.length(), i + 6)) + ")";
            }
        }
        return null;
    }

    /** The byte the escape at {@code at} in {@code text} stands for, or -1 when there is none there. */
    private static int escapedByte(String text, int at) {
        if (at + 2 >= text.length() || text.charAt(at) != '%') {
            return -1;
        }
        int high = hex(text.charAt(at + 1));
        int low = hex(text.charAt(at + 2));
        return high < 0 || low < 0 ? -1 : high * 16 + low;
    }

    /** A path segment without its parameters: {@code ..;x} is {@code ..}, as servlet containers read it. */
    private static String withoutParameters(String segment) {
        int semicolon = segment.indexOf(';');
        return semicolon < 0 ? segment : segment.substring(0, semicolon);
    }

    /** Percent-escapes decoded once, as UTF-8; a malformed escape is kept as it is. */
    private static String decode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int escaped = escapedByte(text, i);
            if (escaped >= 0) {
                bytes.write(escaped);
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return c < 128 ? Character.digit(c, 16) : -1;
    }
}
