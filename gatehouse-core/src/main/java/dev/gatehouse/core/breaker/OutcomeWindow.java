package dev.gatehouse.core.breaker;

/** The recent outcomes of a closed breaker: calls, failures and slow calls. */
abstract sealed class OutcomeWindow permits CountWindow, TimeWindow {

    /** Records one call. */
    abstract void record(boolean failure, boolean slow, long nowNanos);

    /** Calls in the window. */
    abstract int calls(long nowNanos);

    /** Failures in the window. */
    abstract int failures(long nowNanos);

    /** Slow calls in the window. */
    abstract int slowCalls(long nowNanos);

    /** Whether the window's ratios reach the spec's thresholds (inclusive) with enough calls. */
    final boolean reachesThreshold(CircuitBreakerSpec spec, boolean byFailures, long nowNanos) {
        long calls = calls(nowNanos);
        if (calls < spec.minimumCalls()) {
            return false;
        }
        long count = byFailures ? failures(nowNanos) : slowCalls(nowNanos);
        long thresholdPpm = byFailures ? spec.failureRatioPpm() : spec.slowCallRatioPpm();
        return count * CircuitBreakerSpec.PARTS_PER_MILLION >= thresholdPpm * calls;
    }

    static OutcomeWindow of(CircuitBreakerSpec spec) {
        return spec.timeWindow()
                ? new TimeWindow(spec.windowNanos(), spec.windowBuckets())
                : new CountWindow(spec.windowCalls());
    }
}
