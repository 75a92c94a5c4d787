package dev.gatehouse.core.limit;

/**
 * A limiter's state at one moment, for debugging and metrics.
 *
 * @param spec the configuration
 * @param remaining permits that could be granted at once
 * @param deniedThisWindow denials in the current window (fixed and sliding windows; others report 0)
 * @param waiting requests waiting in the limiter's queue
 * @param nanosUntilReset how long until full capacity returns if nothing more is taken, or {@link
 *     Decision#NEVER} when that depends on releases
 */
public record LimiterSnapshot(
        LimitSpec spec, long remaining, long deniedThisWindow, int waiting, long nanosUntilReset) {

    /** Permits in use: taken in the current window, in flight, or not yet refilled. */
    public long used() {
        return Math.max(0, spec.limit() - remaining);
    }

    /** The same state with {@code waitingNow} callers waiting (a wait queue in front of the limiter). */
    public LimiterSnapshot withWaiting(int waitingNow) {
        return new LimiterSnapshot(spec, remaining, deniedThisWindow, waitingNow, nanosUntilReset);
    }
}
