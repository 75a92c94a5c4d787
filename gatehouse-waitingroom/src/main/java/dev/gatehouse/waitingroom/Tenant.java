package dev.gatehouse.waitingroom;

import java.util.regex.Pattern;

/**
 * A business the waiting room serves: its id (which names its room), a name for people, and the
 * SHA-256 of its API key (the key itself is never kept).
 */
public record Tenant(String id, String name, String keyHash) {

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    public Tenant {
        if (!isValidId(id)) {
            throw new IllegalArgumentException(
                    "tenant id \"" + id + "\" (expected: 1-64 of a-z 0-9 _ -, from a-z 0-9)");
        }
        if (!ApiKeys.isHash(keyHash)) {
            throw new IllegalArgumentException("key hash of " + id + " is not 64 lowercase hex digits");
        }
    }

    /** Whether {@code id} may name a tenant. */
    public static boolean isValidId(String id) {
        return ID.matcher(id).matches();
    }

    /**
     * The tenant a GatekeeperAPI {@code BUSINESS_IDS} key stands for: its id comes from the key's
     * hash, so every replica and every restart names it alike, and the key never shows in it.
     */
    public static Tenant ofBusinessId(String apiKey) {
        String hash = ApiKeys.hash(apiKey);
        String id = "key-" + hash.substring(0, 16);
        return new Tenant(id, id, hash);
    }
}
