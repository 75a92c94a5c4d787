package dev.gatehouse.proof.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** New SHA-256 digests; the algorithm is required of every Java platform, so its absence is a bug. */
public final class Sha256 {

    private Sha256() {}

    /** A fresh SHA-256 digest. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
