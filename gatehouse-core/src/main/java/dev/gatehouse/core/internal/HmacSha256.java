package dev.gatehouse.core.internal;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 under one key, cheap to use from many threads. */
public final class HmacSha256 {

    /*
     * Design: Mac.getInstance and init cost more than the MAC of a short message, so one initialised
     * Mac is kept as a prototype and cloned per use. Clones share nothing mutable, so no thread-local
     * state is kept (virtual threads would multiply it). Providers whose Mac cannot be cloned fall back
     * to a fresh instance per use.
     */

    private static final String ALGORITHM = "HmacSHA256";

    /** The shortest tag {@link #matches} accepts: a shorter one would be easy to guess. */
    public static final int MIN_TAG_BYTES = 16;

    private final SecretKeySpec key;
    private final Mac prototype;
    private final boolean cloneable;

    public HmacSha256(byte[] key) {
        this.key = new SecretKeySpec(key, ALGORITHM);
        this.prototype = newMac(this.key);
        this.cloneable = canClone(prototype);
    }

    /** The HMAC of {@code message}. */
    public byte[] mac(byte[] message) {
        return mac(message, 0, message.length);
    }

    /** The HMAC of {@code length} bytes of {@code message} from {@code offset}. */
    public byte[] mac(byte[] message, int offset, int length) {
        Mac mac = instance();
        mac.update(message, offset, length);
        return mac.doFinal();
    }

    /**
     * Whether the first {@code expected.length} bytes of the HMAC equal {@code expected}, in constant
     * time; a tag shorter than {@link #MIN_TAG_BYTES} or longer than the HMAC never matches.
     */
    public boolean matches(byte[] message, int offset, int length, byte[] expected) {
        byte[] actual = mac(message, offset, length);
        if (expected.length < MIN_TAG_BYTES || expected.length > actual.length) {
            return false;
        }
        byte[] truncated = expected.length == actual.length ? actual : Arrays.copyOf(actual, expected.length);
        return MessageDigest.isEqual(truncated, expected);
    }

    private Mac instance() {
        if (cloneable) {
            try {
                return (Mac) prototype.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("a cloneable Mac refused to clone", e);
            }
        }
        return newMac(key);
    }

    private static boolean canClone(Mac mac) {
        try {
            var unused = mac.clone(); // only whether a clone can be made matters
            return true;
        } catch (CloneNotSupportedException e) {
            return false;
        }
    }

    private static Mac newMac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("key: rejected by " + ALGORITHM, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is required of every Java platform", e);
        }
    }
}
