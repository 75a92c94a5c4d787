package dev.gatehouse.core.limit;

/** A limit of {@link #maxPerWindow} permits per window of {@link #windowNanos}: fixed or sliding. */
public sealed interface WindowSpec extends LimitSpec permits FixedWindowSpec, SlidingWindowSpec {

    /** The most permits granted in one window. */
    long maxPerWindow();

    /** The length of a window. */
    long windowNanos();

    @Override
    default long limit() {
        return maxPerWindow();
    }

    /** {@link LimitSpec#IDLE_WINDOWS} windows, saturated. */
    @Override
    default long idleNanos() {
        return WideArithmetic.saturatedMultiply(IDLE_WINDOWS, windowNanos());
    }
}
