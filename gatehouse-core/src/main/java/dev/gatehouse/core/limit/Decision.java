package dev.gatehouse.core.limit;

/**
 * The outcome of asking a limiter for permits: whether they were granted, what is left, and when
 * asking again can succeed. Enough to write {@code RateLimit}, {@code RateLimit-Policy} and {@code
 * Retry-After} headers.
 *
 * @param outcome what happened
 * @param remaining permits that could still be granted at once after this decision
 * @param nanosUntilRetry zero when allowed; otherwise how long until the same request can succeed,
 *     or {@link #NEVER} when waiting alone will not help (the request exceeds the limit, or capacity
 *     returns only when permits are released)
 * @param nanosUntilReset how long until the limiter is back at full capacity if nothing more is
 *     taken, or {@link #NEVER} when that depends on releases
 * @param lease an identifier of this grant, to name it when its permits are given back ({@link
 *     dev.gatehouse.core.keyed.KeyedRateLimiter#release(String, LimitSpec, long, long)}): set by a
 *     store that keeps a lease per grant (Redis concurrency limits), {@link #NO_LEASE} when the
 *     limiter keeps no per-grant leases (windows, buckets, the in-memory concurrency limiter) and
 *     whenever nothing was granted
 */
public record Decision(Outcome outcome, long remaining, long nanosUntilRetry, long nanosUntilReset, long lease) {

    /** Stands for "not by waiting" in the nanosecond fields. */
    public static final long NEVER = Long.MAX_VALUE;

    /** The lease of a decision that names no grant: its permits are given back by count. */
    public static final long NO_LEASE = 0;

    /** A decision without a lease ({@link #NO_LEASE}): what every limiter but a lease-keeping store answers. */
    public Decision(Outcome outcome, long remaining, long nanosUntilRetry, long nanosUntilReset) {
        this(outcome, remaining, nanosUntilRetry, nanosUntilReset, NO_LEASE);
    }

    /** What happened to a request for permits. */
    public enum Outcome {
        /** The permits were granted. */
        ALLOWED,
        /** The limit is reached. */
        DENIED,
        /** The limit is reached and the queue of waiters is full. */
        QUEUE_FULL,
        /** The request waited in the queue for as long as it was allowed to. */
        TIMED_OUT,
        /** The limiter was closed while the request waited. */
        CLOSED,
        /**
         * The key is new and its store already keeps as many keys as it may, none of which can be
         * forgotten now (each has work in flight or waiters); asking again later can succeed.
         */
        TOO_MANY_KEYS
    }

    /** Whether the permits were granted. */
    public boolean allowed() {
        return outcome == Outcome.ALLOWED;
    }

    static Decision allowed(long remaining, long nanosUntilReset) {
        return new Decision(Outcome.ALLOWED, remaining, 0, nanosUntilReset);
    }

    static Decision denied(long remaining, long nanosUntilRetry, long nanosUntilReset) {
        return new Decision(Outcome.DENIED, remaining, nanosUntilRetry, nanosUntilReset);
    }

    /** The answer for a new key that its full store cannot take: nothing known about when room returns. */
    public static Decision tooManyKeys() {
        return new Decision(Outcome.TOO_MANY_KEYS, 0, NEVER, NEVER);
    }

    /** The same figures with another outcome (a wait queue turning a denial into its own verdict). */
    public Decision withOutcome(Outcome newOutcome) {
        return new Decision(newOutcome, remaining, nanosUntilRetry, nanosUntilReset, lease);
    }

    /** The same decision naming another lease (a decorator marking where it was granted). */
    public Decision withLease(long newLease) {
        return new Decision(outcome, remaining, nanosUntilRetry, nanosUntilReset, newLease);
    }
}
