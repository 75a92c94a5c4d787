package dev.gatehouse.rate;

import dev.gatehouse.core.limit.Decision;
import org.jspecify.annotations.Nullable;

/**
 * The answer to one call of {@code /rate/{key}}.
 *
 * @param outcome what happened
 * @param requestId the id this call took on arrival (every call takes one, as in gocc; an admitted
 *     call's is its answer, for {@code DELETE}); 0 for calls answered by a shutdown
 * @param limits the key's limits when it was decided
 * @param decision the limiter's figures (remaining, when to retry, when full capacity returns); for
 *     {@link Outcome#UNAVAILABLE} a denial with unknown figures
 * @param refusal for {@link Outcome#REFUSED}, why the limits asked for cannot be kept (naming the
 *     bound); null otherwise
 */
public record RateVerdict(
        Outcome outcome,
        long requestId,
        RateLimits limits,
        Decision decision,
        @Nullable String refusal) {

    /** A verdict other than {@link Outcome#REFUSED}. */
    public RateVerdict(Outcome outcome, long requestId, RateLimits limits, Decision decision) {
        this(outcome, requestId, limits, decision, null);
    }

    /** What happened to a call. */
    public enum Outcome {
        /** Admitted, at once or after waiting. */
        ALLOWED,
        /** The limit is reached and the call could not wait. */
        DENIED,
        /** The limit is reached and the key's queue is full. */
        QUEUE_FULL,
        /** Nothing could be decided: the service is shutting down or its store did not answer. */
        UNAVAILABLE,
        /** The limit a client's override asks for cannot be kept (by the limiter, or exactly by the shared store). */
        REFUSED
    }

    public boolean allowed() {
        return outcome == Outcome.ALLOWED;
    }
}
