package dev.gatehouse.core.adaptive;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;
import java.util.Objects;

/**
 * The immutable configuration of an {@link AdaptiveLimiter}: the bounds of the limit, where it
 * starts, and the algorithm that moves it.
 *
 * @param initialLimit the limit before any sample
 * @param minLimit the limit never goes below this
 * @param maxLimit the limit never goes above this
 * @param algorithm how samples move the limit
 * @param clock the clock the load signal's peak decays with
 */
public record AdaptiveSpec(int initialLimit, int minLimit, int maxLimit, Algorithm algorithm, NanoClock clock) {

    public AdaptiveSpec {
        Require.atLeast("minLimit", minLimit, 1);
        Require.atLeast("maxLimit", maxLimit, minLimit);
        Require.inRange("initialLimit", initialLimit, minLimit, maxLimit);
        Objects.requireNonNull(algorithm, "algorithm");
        clock = NanoClock.monotonic(Objects.requireNonNull(clock, "clock"));
    }

    /** An AIMD limiter with default tuning. */
    public static AdaptiveSpec aimd(int initialLimit, int minLimit, int maxLimit) {
        return new AdaptiveSpec(initialLimit, minLimit, maxLimit, Aimd.defaults(), NanoClock.system());
    }

    /** A gradient limiter with default tuning. */
    public static AdaptiveSpec gradient(int initialLimit, int minLimit, int maxLimit) {
        return new AdaptiveSpec(initialLimit, minLimit, maxLimit, Gradient.defaults(), NanoClock.system());
    }

    /** The same spec reading another clock. */
    public AdaptiveSpec withClock(NanoClock newClock) {
        return new AdaptiveSpec(initialLimit, minLimit, maxLimit, algorithm, newClock);
    }

    /** The same spec with another algorithm. */
    public AdaptiveSpec withAlgorithm(Algorithm newAlgorithm) {
        return new AdaptiveSpec(initialLimit, minLimit, maxLimit, newAlgorithm, clock);
    }

    /** How samples move the limit. */
    public sealed interface Algorithm permits Aimd, Gradient {}

    /**
     * Additive increase, multiplicative decrease. A drop (or a sample slower than {@code timeout})
     * multiplies the limit by {@code backoff}, at most once per round trip (the dropped request's),
     * so a burst of drops from one overload counts once. Successes add one permit per limit's worth of
     * successes, about one per round trip. After a drop, until the limit is back where it was, each
     * success adds one permit (a slow start), so a dip is recovered in a few round trips instead of
     * one permit per round trip. Successes that began while less than half the limit was in use
     * do not grow it: an idle service proves nothing about its capacity.
     *
     * @param backoff in (0, 1), the factor a drop multiplies the limit by
     * @param timeoutNanos a success at least this slow counts as a drop
     */
    public record Aimd(double backoff, long timeoutNanos) implements Algorithm {
        public Aimd {
            Require.inRange("backoff", backoff, 0.01, 0.99);
            Require.atLeast("timeoutNanos", timeoutNanos, 1);
        }

        /** Backoff 0.9, timeout 5 s. */
        public static Aimd defaults() {
            return new Aimd(0.9, Duration.ofSeconds(5).toNanos());
        }
    }

    /**
     * A gradient limiter: compares the round-trip time of recent work with the backend's no-load
     * round-trip time to tell queueing from capacity. Samples are gathered into windows of at least
     * {@code windowSamples} samples and {@code windowNanos}. The baseline is the lowest window mean of
     * the last {@code baselineWindows} windows. At the end of each window, with {@code gradient =
     * tolerance × baseline / windowMean}: below 1 the limit moves toward {@code limit × max(gradient,
     * 0.5)}; at 1 or more it grows by {@code sqrt(limit)} (faster, doubling, while below the level it
     * held before a dip). A window with a drop halves the target. Each move is smoothed by
     * {@code smoothing}.
     *
     * <p>Protections: if the limit keeps shrinking for {@code resetWindows} windows without the
     * latency coming back within tolerance, the latency is not queueing but a slower backend, and the
     * baseline is reset to the current latency instead of driving the limit to its minimum; and the
     * doubling after a dip recovers in a few windows instead of a slow additive climb.
     *
     * @param tolerance how much latency above the baseline is taken for normal (≥ 1)
     * @param smoothing in (0, 1], how far each window moves the limit toward its target
     * @param windowSamples the fewest samples in a window
     * @param windowNanos the shortest window
     * @param baselineWindows windows the baseline is the minimum of
     * @param resetWindows windows of shrinking after which the baseline is reset
     */
    public record Gradient(
            double tolerance,
            double smoothing,
            int windowSamples,
            long windowNanos,
            int baselineWindows,
            int resetWindows)
            implements Algorithm {
        public Gradient {
            Require.inRange("tolerance", tolerance, 1, 10);
            Require.inRange("smoothing", smoothing, 0.001, 1);
            Require.atLeast("windowSamples", windowSamples, 1);
            Require.atLeast("windowNanos", windowNanos, 0);
            Require.atLeast("baselineWindows", baselineWindows, 1);
            Require.atLeast("resetWindows", resetWindows, 1);
        }

        /**
         * Tolerance 1.2, smoothing 0.2, windows of at least 10 samples and 100 ms, baseline over 600
         * windows, reset after 20 windows of shrinking.
         */
        public static Gradient defaults() {
            return new Gradient(1.2, 0.2, 10, Duration.ofMillis(100).toNanos(), 600, 20);
        }
    }
}
