package dev.gatehouse.proof.token;

/** The outcome of presenting an admission token; every rejection names its reason. */
public enum TokenVerdict {
    /** The token is genuine, live, and now used up. */
    ACCEPTED,
    /** Not a token: wrong shape, encoding or length. */
    MALFORMED,
    /** The signature matches neither the current nor the previous secret. */
    BAD_SIGNATURE,
    /** Its expiry second has come. */
    EXPIRED,
    /** It was used before. */
    REPLAYED,
    /** The single-use record cannot be reached or is full; the token was not used up. */
    UNAVAILABLE;

    /** Whether the token was accepted. */
    public boolean accepted() {
        return this == ACCEPTED;
    }
}
