package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The token bucket of one spec over state kept by the caller: {@link #WORDS} {@code long}s of an
 * array, at an offset the caller chooses. A {@link LimitSpec#tokenBucket token bucket} limiter keeps
 * one bucket in an array of its own; a table of many buckets keeps them side by side, so that a
 * decision touches one cache line. Every method is lock-free and safe to call from any thread on the
 * same words; readings of time are the caller's (nanoseconds of one monotonic clock, which need not be
 * ordered across threads: see the design note). Sealed: the limiter is the one subclass, a bucket of
 * its own two words, so that it holds the spec's figures itself instead of pointing to them.
 */
public sealed class TokenBucketCells permits TokenBucketLimiter {

    /*
     * Design: GCRA (the generic cell rate algorithm), which is a token bucket with continuous refill
     * stored as a single "theoretical arrival time" (TAT). Time is counted in units of 1/p ns, where
     * the rate is p permits per P ns in lowest terms; in these units one permit costs exactly P and
     * the clock advances exactly p per nanosecond, so every rational rate is exact: no rounding of a
     * per-permit interval, no drift over days, no division on the allow/deny path.
     *
     * backlog = max(TAT - now, 0) is how much of the bucket is empty; the bucket holds capacity*P -
     * backlog units. A request for n permits succeeds when n*P fits, and moves TAT to now + backlog +
     * n*P. One CAS on one long updates everything. Over any interval T this admits at most
     * capacity + rate*T permits, exactly, because the backlog is capped at zero and never below.
     *
     * TAT and now are kept modulo 2^64 and only their difference is used, so the absolute values may
     * overflow harmlessly. The difference is trusted when it lies in [0, capacity*P] and less than
     * two refill times (2 * capacity*P <= 2^62 units) have passed since the TAT was written; then it
     * cannot have aliased. After an idle spell longer than that (which at 10^9 odd permits per second
     * is a matter of seconds) the bucket is full whatever the difference says. To know that without a
     * second CAS, the second word (ACTIVE) records, before each change of the TAT, the clock of the
     * change, written only when it is more than half a refill time old: it trails the last change by
     * at most that half, so "more than one and a half refill times since ACTIVE" proves a full refill
     * since the last change. It is raised with a CAS (never lowered), read after the TAT, and written
     * before the TAT, so a reader that sees a TAT also sees an ACTIVE at least that recent.
     *
     * Readings of different threads are not ordered with the updates they make (a thread may be paused
     * between its reading and its CAS, or keep a reading for a batch): a lead beyond the bucket means
     * the reading is older than the TAT's writer's, and counts as an empty bucket.
     */

    /** The {@code long}s one bucket takes: its theoretical arrival time, then its last active time. */
    public static final int WORDS = 2;

    private static final int ARRIVAL = 0;
    private static final int ACTIVE = 1;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);

    private final TokenBucketSpec spec;
    /** The clock reading unit 0 stands for. */
    final long originNanos;
    /** Nanoseconds to refill from empty, rounded up. */
    private final long refillNanos;

    /** Buckets of {@code spec} whose time is counted from {@code originNanos} (a reading of their clock). */
    public TokenBucketCells(TokenBucketSpec spec, long originNanos) {
        this.spec = Require.given("spec", spec, "a token bucket spec");
        this.originNanos = originNanos;
        this.refillNanos = Math.ceilDiv(spec.capacity() * spec.refillPeriodNanos(), spec.refillPermits());
    }

    public TokenBucketSpec spec() {
        return spec;
    }

    /**
     * Writes a full bucket at {@code at}, as of {@code nowNanos}, missing {@code missing} permits (at
     * most the capacity). Plain writes: publish the words before other threads use them.
     */
    public void fill(long[] cells, int at, long nowNanos, long missing) {
        long taken = Math.min(Math.max(0, missing), spec.capacity());
        cells[at + ARRIVAL] = units(nowNanos) + taken * spec.refillPeriodNanos();
        cells[at + ACTIVE] = nowNanos;
    }

    /** Takes {@code permits} at {@code nowNanos} if they are there; whether it did. */
    public boolean tryAcquire(long[] cells, int at, long nowNanos, long permits) {
        Require.atLeast("permits", permits, 1);
        long capacity = spec.capacity();
        if (permits > capacity) {
            return false;
        }
        long period = spec.refillPeriodNanos();
        long tolerance = capacity * period;
        long need = permits * period;
        long now = units(nowNanos);
        for (; ; ) {
            long current = (long) CELL.getVolatile(cells, at + ARRIVAL);
            long backlog = backlog(cells, at, current, now, nowNanos, tolerance);
            if (need > tolerance - backlog) {
                return false;
            }
            markActive(cells, at, nowNanos);
            if (CELL.compareAndSet(cells, at + ARRIVAL, current, now + backlog + need)) {
                return true;
            }
        }
    }

    /** Takes {@code permits} at {@code nowNanos} if they are there, and says what is left and when to retry. */
    public Decision decide(long[] cells, int at, long nowNanos, long permits) {
        Require.atLeast("permits", permits, 1);
        long capacity = spec.capacity();
        long period = spec.refillPeriodNanos();
        long tolerance = capacity * period;
        long now = units(nowNanos);
        for (; ; ) {
            long current = (long) CELL.getVolatile(cells, at + ARRIVAL);
            long backlog = backlog(cells, at, current, now, nowNanos, tolerance);
            long room = tolerance - backlog;
            if (permits > capacity) {
                return Decision.denied(room / period, Decision.NEVER, toNanos(backlog));
            }
            long need = permits * period;
            if (need > room) {
                return Decision.denied(room / period, toNanos(need - room), toNanos(backlog));
            }
            markActive(cells, at, nowNanos);
            if (CELL.compareAndSet(cells, at + ARRIVAL, current, now + backlog + need)) {
                return Decision.allowed((room - need) / period, toNanos(backlog + need));
            }
        }
    }

    /** Gives {@code permits} back at {@code nowNanos} (never beyond a full bucket). */
    public void release(long[] cells, int at, long nowNanos, long permits) {
        Require.atLeast("permits", permits, 1);
        long capacity = spec.capacity();
        long period = spec.refillPeriodNanos();
        long tolerance = capacity * period;
        long refund = Math.min(permits, capacity) * period;
        long now = units(nowNanos);
        for (; ; ) {
            long current = (long) CELL.getVolatile(cells, at + ARRIVAL);
            long backlog = backlog(cells, at, current, now, nowNanos, tolerance);
            if (backlog == 0) {
                return;
            }
            // a reading older than the last update (a lead beyond the bucket) refunds from the TAT
            // itself: counted from the old reading, the refund would free the time between the two too
            long refunded = current - now > tolerance ? current - refund : now + Math.max(0, backlog - refund);
            markActive(cells, at, nowNanos);
            if (CELL.compareAndSet(cells, at + ARRIVAL, current, refunded)) {
                return;
            }
        }
    }

    /** The bucket's state at {@code nowNanos}. */
    public LimiterSnapshot snapshot(long[] cells, int at, long nowNanos) {
        long tolerance = spec.capacity() * spec.refillPeriodNanos();
        long arrival = (long) CELL.getVolatile(cells, at + ARRIVAL);
        long backlog = backlog(cells, at, arrival, units(nowNanos), nowNanos, tolerance);
        return new LimiterSnapshot(spec, (tolerance - backlog) / spec.refillPeriodNanos(), 0, 0, toNanos(backlog));
    }

    /**
     * Since when the bucket is full, as of {@code nowNanos}: a time to come while it refills, a time
     * past once it is full (from then on it is indistinguishable from a fresh bucket). After an idle
     * spell so long that its words may have wrapped, the latest time it can have become full.
     */
    public long reclaimableAtNanos(long[] cells, int at, long nowNanos) {
        long arrival = (long) CELL.getVolatile(cells, at + ARRIVAL);
        long active = (long) CELL.getVolatile(cells, at + ACTIVE);
        long lead = arrival - units(nowNanos);
        long sinceActive = nowNanos - active;
        long trusted = refillNanos + refillNanos / 2;
        if (sinceActive > trusted) {
            // full for sure. The TAT was written at most half a refill time after `active`, within a
            // bucket of the clock then: while fewer than 2^62 units have passed since, the lead has not
            // wrapped and says when it filled; after that, a refill time after the last change at the latest
            return sinceActive <= (1L << 62) / spec.refillPermits() && lead <= 0
                    ? nowNanos - -lead / spec.refillPermits()
                    : WideArithmetic.saturatedAdd(active, trusted);
        }
        if (lead > spec.capacity() * spec.refillPeriodNanos()) {
            return nowNanos + refillNanos; // a reading older than the last update: an empty bucket
        }
        return lead >= 0 ? nowNanos + toNanos(lead) : nowNanos - -lead / spec.refillPermits();
    }

    /** The clock in units of 1/p ns since the origin, modulo 2^64. */
    private long units(long nowNanos) {
        return Math.max(0, nowNanos - originNanos) * spec.refillPermits();
    }

    /**
     * How much of the bucket is empty, in units: the TAT's lead over now, 0 when it trails or when a
     * refill time has surely passed since it was written (the lead could have aliased), and the whole
     * bucket when it lies beyond the bucket: the reading is older than the last update (another
     * thread's fresher reading wrote it), and an older reading sees no refill the writer did not.
     * Read the arrival before calling: the active time is read here, after.
     */
    private long backlog(long[] cells, int at, long arrival, long now, long nowNanos, long tolerance) {
        if (nowNanos - (long) CELL.getVolatile(cells, at + ACTIVE) > refillNanos + refillNanos / 2) {
            return 0;
        }
        long lead = arrival - now;
        return lead < 0 ? 0 : Math.min(lead, tolerance);
    }

    /** Before changing the TAT: records that the bucket is in use at {@code nowNanos}, if the record is old. */
    private void markActive(long[] cells, int at, long nowNanos) {
        long recorded = (long) CELL.getVolatile(cells, at + ACTIVE);
        while (nowNanos - recorded > refillNanos / 2 && !CELL.compareAndSet(cells, at + ACTIVE, recorded, nowNanos)) {
            recorded = (long) CELL.getVolatile(cells, at + ACTIVE);
        }
    }

    private long toNanos(long units) {
        return Math.ceilDiv(units, spec.refillPermits());
    }
}
