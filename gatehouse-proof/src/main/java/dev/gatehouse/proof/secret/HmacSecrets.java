package dev.gatehouse.proof.secret;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The server's HMAC secret and, during a key rotation, the one before it: new values are signed with
 * the current secret, and values signed with either are accepted.
 */
public final class HmacSecrets {

    /** The shortest secret accepted, 16 bytes (128 bits). */
    public static final int MIN_SECRET_BYTES = 16;

    private final byte[] current;
    private final byte @Nullable [] previous;

    private HmacSecrets(byte[] current, byte @Nullable [] previous) {
        this.current = checked("current", current);
        this.previous = previous == null ? null : checked("previous", previous);
    }

    /** One secret, no rotation in progress. */
    public static HmacSecrets of(byte[] current) {
        return new HmacSecrets(current, null);
    }

    /** A rotation: sign with {@code current}, accept {@code current} and {@code previous}. */
    public static HmacSecrets of(byte[] current, byte[] previous) {
        if (previous == null) {
            throw new IllegalArgumentException("previous: null (expected: a secret; use of(current) for none)");
        }
        return new HmacSecrets(current, previous);
    }

    /** The signing secret (a copy). */
    public byte[] current() {
        return current.clone();
    }

    /** The secret still accepted during a rotation (a copy). */
    public Optional<byte[]> previous() {
        return previous == null ? Optional.empty() : Optional.of(previous.clone());
    }

    private static byte[] checked(String name, byte[] secret) {
        if (secret == null || secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(name + ": " + (secret == null ? "null" : secret.length + " bytes")
                    + " (expected: >= " + MIN_SECRET_BYTES + " bytes)");
        }
        return secret.clone();
    }

    @Override
    public String toString() {
        return "HmacSecrets[rotating=" + (previous != null) + "]";
    }
}
