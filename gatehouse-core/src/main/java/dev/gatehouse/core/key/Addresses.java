package dev.gatehouse.core.key;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/** IP addresses in one spelling, for keys; nothing here ever looks a name up. */
final class Addresses {

    private Addresses() {}

    /**
     * {@code text} as one spelling of its address when it is an IP address literal (brackets and a
     * zone dropped, IPv4 without leading zeros, IPv6 in RFC 5952 form, IPv4-mapped IPv6 as IPv4);
     * any other text as it is.
     */
    static String canonical(String text) {
        if (plainIpv4(text)) {
            return text; // the common case, kept without a copy
        }
        byte[] bytes = literal(text);
        return bytes == null ? text : format(bytes, bytes.length * 8);
    }

    /**
     * {@code entry} without a port some proxies write after the address ({@code 203.0.113.5:4711},
     * {@code [2001:db8::1]:443}), so a client is not a new key per source port; other text as it is.
     */
    static String withoutPort(String entry) {
        if (entry.startsWith("[")) {
            int close = entry.indexOf("]:");
            return close > 0 && digits(entry, close + 2) ? entry.substring(1, close) : entry;
        }
        int colon = entry.indexOf(':');
        return colon > 0 && entry.indexOf(':', colon + 1) < 0 && entry.indexOf('.') >= 0 && digits(entry, colon + 1)
                ? entry.substring(0, colon)
                : entry;
    }

    /** Whether {@code text} from {@code from} on is one to five decimal digits. */
    private static boolean digits(String text, int from) {
        int length = text.length() - from;
        if (length < 1 || length > 5) {
            return false;
        }
        for (int i = from; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The network of the address {@code text} at the given prefix lengths ({@code 2001:db8::/64}); other text as it is. */
    static String network(String text, int ipv4Bits, int ipv6Bits) {
        byte[] bytes = literal(text);
        if (bytes == null) {
            return text;
        }
        int bits = bytes.length == 4 ? ipv4Bits : ipv6Bits;
        for (int i = 0; i < bytes.length; i++) {
            int keep = Math.clamp(bits - i * 8L, 0, 8);
            bytes[i] &= (byte) (0xFF << (8 - keep));
        }
        return format(bytes, bits);
    }

    /** The first 16 bytes of SHA-256 of {@code text} (UTF-8), in hex. */
    static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** The address's bytes (4 or 16; an IPv4-mapped IPv6 address as 4), or null when {@code text} is no literal. */
    private static byte @Nullable [] literal(String text) {
        String address = text.strip();
        if (address.startsWith("[") && address.endsWith("]")) {
            address = address.substring(1, address.length() - 1);
        }
        int zone = address.indexOf('%');
        if (zone >= 0) {
            address = address.substring(0, zone);
        }
        if (address.indexOf(':') < 0) {
            return ipv4(address);
        }
        if (address.length() > 45
                || !address.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
            return null;
        }
        try {
            // bracketed, a text that is no IPv6 literal fails here instead of being looked up as a name
            return InetAddress.getByName("[" + address + "]").getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Whether {@code text} is four decimal octets without leading zeros: its own one spelling. */
    private static boolean plainIpv4(String text) {
        int octets = 0;
        int digits = 0;
        int value = 0;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : '.';
            if (c == '.') {
                if (digits == 0 || ++octets > 4) {
                    return false;
                }
                digits = 0;
                value = 0;
            } else if (c >= '0' && c <= '9' && !(digits == 1 && value == 0)) {
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return octets == 4;
    }

    /** Four decimal octets ({@code 192.0.2.7}, leading zeros read as decimal), or null. */
    private static byte @Nullable [] ipv4(String address) {
        byte[] bytes = new byte[4];
        int octet = 0;
        int value = -1;
        for (int i = 0; i <= address.length(); i++) {
            char c = i < address.length() ? address.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || octet == 4) {
                    return null;
                }
                bytes[octet++] = (byte) value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return octet == 4 ? bytes : null;
    }

    private static String format(byte[] bytes, int prefixBits) {
        String text = bytes.length == 4
                ? (bytes[0] & 0xFF) + "." + (bytes[1] & 0xFF) + "." + (bytes[2] & 0xFF) + "." + (bytes[3] & 0xFF)
                : ipv6(bytes);
        return prefixBits == bytes.length * 8 ? text : text + "/" + prefixBits;
    }

    /** RFC 5952: lowercase, no leading zeros, the first longest run of two or more zero groups as {@code ::}. */
    private static String ipv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xFF) << 8) | (bytes[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
