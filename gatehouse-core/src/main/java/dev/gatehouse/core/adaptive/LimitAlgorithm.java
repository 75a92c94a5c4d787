package dev.gatehouse.core.adaptive;

/** The mutable state of an adaptive algorithm; called under the limiter's monitor. */
abstract sealed class LimitAlgorithm permits AimdAlgorithm, GradientAlgorithm {

    /** The next limit after a sample, at {@code nowNanos}, of work that started with {@code inFlightAtStart} in flight. */
    abstract int update(int limit, int inFlightAtStart, long rttNanos, boolean dropped, long nowNanos);

    static LimitAlgorithm of(AdaptiveSpec spec) {
        return switch (spec.algorithm()) {
            case AdaptiveSpec.Aimd aimd -> new AimdAlgorithm(aimd);
            case AdaptiveSpec.Gradient gradient -> new GradientAlgorithm(gradient);
        };
    }

    /** Whether the work ran with the limit in real use (at least half of it), so it may grow it. */
    static boolean saturated(int limit, int inFlightAtStart) {
        return inFlightAtStart * 2L >= limit;
    }
}
