package dev.gatehouse.core.adaptive;

import dev.gatehouse.core.time.NanoClock;
import java.util.concurrent.atomic.AtomicInteger;

/** An {@link AdaptiveLimiter}: a lock-free in-flight count under a limit that samples move. */
final class AdaptiveConcurrencyLimiter implements AdaptiveLimiter {

    /*
     * Design: tryAcquire is a CAS on the in-flight count against a volatile limit. A permit is the
     * in-flight count the work started with, which the algorithms use to tell a saturated limit from
     * an idle one. Samples update the algorithm's state under this object's monitor: they are a few
     * arithmetic operations, and serialising them keeps the algorithms simple and exact; the limit is
     * then published with a volatile write that acquirers read.
     *
     * The load signal's peak is the highest limit seen, decaying toward the current limit with a
     * half-life of PEAK_HALF_LIFE_NANOS, so a shrink shows as load for a while and then fades.
     */

    private static final long PEAK_HALF_LIFE_NANOS = 30_000_000_000L;

    private final AdaptiveSpec spec;
    private final NanoClock clock;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LimitAlgorithm algorithm;
    private volatile int limit;
    private double peakLimit;
    private long peakUpdatedNanos;

    AdaptiveConcurrencyLimiter(AdaptiveSpec spec) {
        this.spec = spec;
        this.clock = spec.clock();
        this.limit = spec.initialLimit();
        this.algorithm = LimitAlgorithm.of(spec);
        this.peakLimit = spec.initialLimit();
        this.peakUpdatedNanos = clock.nowNanos();
    }

    @Override
    public long tryAcquire() {
        for (; ; ) {
            int current = inFlight.get();
            if (current >= limit) {
                return REJECTED;
            }
            int acquired = current + 1;
            if (inFlight.compareAndSet(current, acquired)) {
                return acquired;
            }
        }
    }

    @Override
    public void onSuccess(long permit, long rttNanos) {
        sample(permit, rttNanos, false);
    }

    @Override
    public void onDropped(long permit, long rttNanos) {
        sample(permit, rttNanos, true);
    }

    @Override
    public void onIgnored(long permit) {
        if (permit != REJECTED) {
            inFlight.decrementAndGet();
        }
    }

    private void sample(long permit, long rttNanos, boolean dropped) {
        if (permit == REJECTED) {
            return;
        }
        inFlight.decrementAndGet();
        long now = clock.nowNanos();
        synchronized (this) {
            int inFlightAtStart = (int) Math.min(permit, Integer.MAX_VALUE);
            int next = algorithm.update(limit, inFlightAtStart, Math.max(1, rttNanos), dropped, now);
            limit = Math.clamp(next, spec.minLimit(), spec.maxLimit());
            decayPeak(now);
            peakLimit = Math.max(peakLimit, limit);
        }
    }

    @Override
    public int limit() {
        return limit;
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public double load() {
        int current = limit;
        double utilisation = Math.min(1, (double) inFlight.get() / current);
        double shrink;
        synchronized (this) {
            decayPeak(clock.nowNanos());
            shrink = 1 - current / peakLimit;
        }
        return Math.clamp(Math.max(utilisation, shrink), 0, 1);
    }

    @Override
    public AdaptiveSpec spec() {
        return spec;
    }

    /** Under the monitor: lets the peak fall halfway to the current limit every half-life. */
    private void decayPeak(long now) {
        long elapsed = now - peakUpdatedNanos;
        if (elapsed <= 0) {
            return;
        }
        double keep = Math.pow(0.5, (double) elapsed / PEAK_HALF_LIFE_NANOS);
        peakLimit = limit + (peakLimit - limit) * keep;
        peakUpdatedNanos = now;
    }
}
