package dev.gatehouse.core.adaptive;

import java.util.Arrays;

/**
 * Moves the limit once per window of samples in which it was in use (at least half of it in flight,
 * or a call dropped), by how far latency rose above the no-load baseline.
 */
final class GradientAlgorithm extends LimitAlgorithm {

    /*
     * Design: the baseline is a sliding minimum of window means, kept as the minima of BUCKETS
     * buckets of baselineWindows/BUCKETS windows each, so old minima are forgotten a bucket at a
     * time. A limit that holds steady sits where latency is about tolerance × baseline; the
     * square-root growth probes above it and the gradient pulls back.
     */

    private static final int BUCKETS = 10;

    private final AdaptiveSpec.Gradient spec;
    private final double[] bucketMinima = new double[BUCKETS];
    private final int windowsPerBucket;
    private int bucket;
    private int windowsInBucket;
    private double estimatedLimit = Double.NaN;
    private double goodLevel;
    private boolean grewSinceShrink = true;
    private int shrinkStreak;
    private long windowStartNanos;
    private int windowSamples;
    private double windowRttSumNanos;
    private int windowMostInFlight;
    private boolean windowDropped;

    GradientAlgorithm(AdaptiveSpec.Gradient spec) {
        this.spec = spec;
        this.windowsPerBucket = Math.max(1, spec.baselineWindows() / BUCKETS);
        Arrays.fill(bucketMinima, Double.POSITIVE_INFINITY);
    }

    @Override
    int update(int limit, int inFlightAtStart, long rttNanos, boolean dropped, long nowNanos) {
        if (windowSamples == 0) {
            windowStartNanos = nowNanos;
        }
        windowSamples++;
        windowRttSumNanos += rttNanos;
        windowMostInFlight = Math.max(windowMostInFlight, inFlightAtStart);
        windowDropped |= dropped;
        if (windowSamples < spec.windowSamples() || nowNanos - windowStartNanos < spec.windowNanos()) {
            return limit;
        }
        double windowRtt = windowRttSumNanos / windowSamples;
        boolean droppedInWindow = windowDropped;
        boolean saturated = saturated(limit, windowMostInFlight);
        windowSamples = 0;
        windowRttSumNanos = 0;
        windowMostInFlight = 0;
        windowDropped = false;

        if (Double.isNaN(estimatedLimit) || Math.abs(estimatedLimit - limit) >= 1) {
            estimatedLimit = limit; // first window, or the limiter clamped the limit to its bounds
        }
        recordBaseline(windowRtt);
        double gradient = spec.tolerance() * baseline() / windowRtt;
        if (!saturated && !droppedInWindow) {
            // the limit barely used: latency is then the backend's own, not a queue this limit let
            // build, so it says nothing about the limit either way (Netflix's Gradient2 holds too)
            if (gradient >= 1) {
                shrinkStreak = 0; // back within tolerance: a run of shrinking windows ends here too
            }
            return (int) Math.round(estimatedLimit);
        }
        double target;
        if (droppedInWindow || gradient < 1) {
            target = droppedInWindow ? estimatedLimit / 2 : estimatedLimit * Math.max(gradient, 0.5);
            if (grewSinceShrink) {
                goodLevel = target; // just below where trouble began
                grewSinceShrink = false;
            }
            if (++shrinkStreak >= spec.resetWindows() && !droppedInWindow) {
                resetBaseline(windowRtt); // shrinking did not help: the backend itself is slower now
            }
        } else {
            shrinkStreak = 0;
            grewSinceShrink = true;
            double probe = estimatedLimit + Math.sqrt(estimatedLimit);
            target = estimatedLimit < goodLevel ? Math.max(probe, Math.min(goodLevel, estimatedLimit * 2)) : probe;
        }
        estimatedLimit = Math.max(1, estimatedLimit + (target - estimatedLimit) * spec.smoothing());
        return (int) Math.min(Integer.MAX_VALUE, Math.round(estimatedLimit));
    }

    private void recordBaseline(double windowRtt) {
        if (++windowsInBucket > windowsPerBucket) {
            bucket = (bucket + 1) % BUCKETS;
            bucketMinima[bucket] = Double.POSITIVE_INFINITY;
            windowsInBucket = 1;
        }
        bucketMinima[bucket] = Math.min(bucketMinima[bucket], windowRtt);
    }

    private double baseline() {
        double lowest = Double.POSITIVE_INFINITY;
        for (double minimum : bucketMinima) {
            lowest = Math.min(lowest, minimum);
        }
        return lowest;
    }

    private void resetBaseline(double windowRtt) {
        Arrays.fill(bucketMinima, Double.POSITIVE_INFINITY);
        bucketMinima[bucket] = windowRtt;
        shrinkStreak = 0;
    }
}
