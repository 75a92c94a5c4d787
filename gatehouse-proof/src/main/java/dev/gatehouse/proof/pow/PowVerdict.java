package dev.gatehouse.proof.pow;

/** The outcome of submitting a nonce for a challenge; every rejection names its reason. */
public enum PowVerdict {
    /** The work is done and the challenge is now consumed. */
    ACCEPTED,
    /** The id is not a challenge of this format (bad encoding, length or kind). */
    MALFORMED_ID,
    /** The nonce is empty, too long, or not hex. */
    BAD_NONCE,
    /** The id was not signed by this server's current or previous secret. */
    BAD_SIGNATURE,
    /** The challenge's expiry time has come. */
    EXPIRED,
    /** The hash does not have enough leading zero bits; the challenge stays solvable. */
    INSUFFICIENT_WORK,
    /** The challenge was already solved. */
    REPLAYED,
    /** Too many memory-hard verifications are running; try again shortly (the challenge stays solvable). */
    BUSY,
    /** The single-use record cannot be reached or is full; nothing was consumed. */
    UNAVAILABLE;

    /** Whether the solution was accepted. */
    public boolean accepted() {
        return this == ACCEPTED;
    }
}
