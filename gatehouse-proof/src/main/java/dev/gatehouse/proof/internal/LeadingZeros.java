package dev.gatehouse.proof.internal;

/** Counts leading zero bits of a hash, the measure of proof-of-work. */
public final class LeadingZeros {

    private LeadingZeros() {}

    /** Whether {@code hash} starts with at least {@code bits} zero bits. */
    public static boolean atLeast(byte[] hash, int bits) {
        return count(hash) >= bits;
    }

    /** The number of leading zero bits of {@code hash}, most significant bit of byte 0 first. */
    public static int count(byte[] hash) {
        int zeros = 0;
        for (byte b : hash) {
            if (b != 0) {
                return zeros + Integer.numberOfLeadingZeros(b & 0xff) - 24;
            }
            zeros += 8;
        }
        return zeros;
    }
}
