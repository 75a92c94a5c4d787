package dev.gatehouse.core.breaker;

/**
 * Stops calls to a failing or slow dependency, probes it carefully once a cooldown has passed, and
 * lets calls through again when it has recovered. Thread-safe, lock-free, and allocation-free on the
 * paths that ask for permission and record outcomes.
 *
 * <p>A call asks for a permit first and reports its outcome with that permit:
 *
 * <pre>{@code
 * long permit = breaker.tryAcquire();
 * if (permit == CircuitBreaker.REJECTED) { ... fail fast ... }
 * long start = clock.nowNanos();
 * try {
 *     Response response = call();
 *     breaker.onStatus(permit, clock.nowNanos() - start, response.status());
 * } catch (Exception e) {
 *     breaker.onError(permit, clock.nowNanos() - start, e);
 * }
 * }</pre>
 *
 * The permit is a primitive value; an outcome reported with a permit from an earlier state (the
 * breaker opened or closed meanwhile) is ignored, so stragglers never skew the new state.
 */
public interface CircuitBreaker {

    /** The permit value meaning "rejected: do not call". */
    long REJECTED = -1;

    /** A permit to call, or {@link #REJECTED}. */
    long tryAcquire();

    /** The call succeeded (and took {@code durationNanos}: slow calls count against the slow-call ratio). */
    void onSuccess(long permit, long durationNanos);

    /** The call failed. */
    void onFailure(long permit, long durationNanos);

    /** The call threw: a failure if the spec's failure predicate says so, otherwise a success. */
    void onError(long permit, long durationNanos, Throwable error);

    /** The call answered with an HTTP status: a failure if the spec's status predicate says so (default: 5xx). */
    void onStatus(long permit, long durationNanos, int status);

    /** The call ended without an outcome worth recording (cancelled, say); frees a probe slot if it held one. */
    void release(long permit);

    /** The current state. */
    State state();

    /** Counts and ratios of the current state, for metrics. */
    Metrics metrics();

    /** Rejects every call until {@link #reset()}, whatever the outcomes. */
    void forceOpen();

    /** Permits every call and keeps recording, but never trips, until {@link #reset()}. */
    void forceClosed();

    /** Permits every call and records nothing until {@link #reset()}. */
    void disable();

    /** Back to {@link State#CLOSED} with an empty window. */
    void reset();

    /** Adds a listener; listeners are called in the order added, each isolated from the others' failures. */
    void addListener(Listener listener);

    /** The configuration. */
    CircuitBreakerSpec spec();

    /** A breaker for {@code spec}. */
    static CircuitBreaker create(CircuitBreakerSpec spec) {
        return new NonBlockingCircuitBreaker(spec);
    }

    /** The states of a breaker. */
    enum State {
        /** Calls pass and outcomes are recorded. */
        CLOSED,
        /** Calls are rejected until the cooldown has passed. */
        OPEN,
        /** A limited number of probe calls pass; their outcomes decide between closing and reopening. */
        HALF_OPEN,
        /** Calls are rejected by an operator's decision. */
        FORCED_OPEN,
        /** Calls pass and outcomes are recorded, but the breaker does not trip, by an operator's decision. */
        FORCED_CLOSED,
        /** Calls pass and nothing is recorded. */
        DISABLED
    }

    /**
     * Observes a breaker. Methods get primitive arguments, so nothing is built for a listener. They
     * run on the thread that caused the event, after the change; they must be quick and not call back
     * into the breaker's transitions.
     */
    interface Listener {
        /** The state changed, at {@code atNanos} on the breaker's clock. */
        default void onStateChange(State from, State to, long atNanos) {}

        /** A call was rejected in {@code state}. */
        default void onRejected(State state) {}
    }

    /**
     * Figures of the current state.
     *
     * @param state the state
     * @param calls calls in the window (closed states) or probe outcomes so far (half-open)
     * @param failures failures among them
     * @param slowCalls slow calls among them
     * @param consecutiveFailures failures since the last success
     * @param rejected calls rejected since the breaker was created
     * @param nanosUntilProbe while open, how long until the cooldown ends; otherwise 0
     */
    record Metrics(
            State state,
            int calls,
            int failures,
            int slowCalls,
            int consecutiveFailures,
            long rejected,
            long nanosUntilProbe) {

        /** Failures per call in the window, 0 when there are no calls. */
        public double failureRatio() {
            return calls == 0 ? 0 : (double) failures / calls;
        }

        /** Slow calls per call in the window, 0 when there are no calls. */
        public double slowCallRatio() {
            return calls == 0 ? 0 : (double) slowCalls / calls;
        }
    }
}
