package dev.gatehouse.core.adaptive;

/** Additive increase, multiplicative decrease, with a slow start back to the level before a dip. */
final class AimdAlgorithm extends LimitAlgorithm {

    /*
     * Design: the first drop of a dip remembers the level just below where trouble began
     * (limit × backoff). Later drops of the same dip keep that memory, so a dip that drives the limit
     * far down is recovered with a slow start: one permit per success, which doubles the limit every
     * round trip, until the remembered level; from there one permit per round trip. A drop during
     * the slow start means that level is no longer safe, and the memory moves down to it. After a
     * decrease, drops are ignored for one round trip: they were caused by the level just left.
     */

    private final AdaptiveSpec.Aimd spec;
    private int recoverTo;
    private boolean rampedSinceDrop = true;
    private int credit;
    private boolean answeringDrop;
    private long ignoreDropsUntilNanos;

    AimdAlgorithm(AdaptiveSpec.Aimd spec) {
        this.spec = spec;
    }

    @Override
    int update(int limit, int inFlightAtStart, long rttNanos, boolean dropped, long nowNanos) {
        if (dropped || rttNanos >= spec.timeoutNanos()) {
            if (answeringDrop && nowNanos - ignoreDropsUntilNanos < 0) {
                return limit; // this overload was answered already
            }
            answeringDrop = true;
            ignoreDropsUntilNanos = nowNanos + rttNanos;
            int backedOff = Math.min(limit - 1, (int) (limit * spec.backoff()));
            if (rampedSinceDrop) {
                recoverTo = backedOff;
                rampedSinceDrop = false;
            }
            credit = 0;
            return backedOff;
        }
        if (!saturated(limit, inFlightAtStart)) {
            return limit;
        }
        if (limit < recoverTo) {
            rampedSinceDrop = true;
            return limit + 1;
        }
        rampedSinceDrop = true;
        if (++credit >= limit) {
            credit = 0;
            return limit + 1;
        }
        return limit;
    }
}
