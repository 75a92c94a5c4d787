package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A lock-free token bucket whose whole state is one {@code long}. */
final class TokenBucketLimiter extends ElapsedTimeLimiter {

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
     * second CAS, `activeNanos` records, before each change of the TAT, the clock of the change,
     * written only when it is more than half a refill time old: it trails the last change by at most
     * that half, so "more than one and a half refill times since activeNanos" proves a full refill
     * since the last change. It is raised with a CAS (never lowered), read after the TAT, and written
     * before the TAT, so a reader that sees a TAT also sees an activeNanos at least that recent.
     *
     * The clock is made monotonic on construction, so a clock that steps backwards neither adds nor
     * removes permits. Readings of different threads are still not ordered with the updates they
     * make (a thread may be paused between its reading and its CAS, or keep a reading for a batch):
     * a lead beyond the bucket means the reading is older than the TAT's writer's, and counts as an
     * empty bucket.
     */

    private static final VarHandle ARRIVAL = longField(MethodHandles.lookup(), "arrival");
    private static final VarHandle ACTIVE = longField(MethodHandles.lookup(), "activeNanos");

    private final TokenBucketSpec spec;
    /** Nanoseconds to refill from empty, rounded up. */
    private final long refillNanos;

    private volatile long arrival;
    private volatile long activeNanos;

    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock) {
        super(clock);
        this.spec = spec;
        this.refillNanos = Math.ceilDiv(spec.capacity() * spec.refillPeriodNanos(), spec.refillPermits());
        this.activeNanos = originNanos;
    }

    /** Starts with the tokens {@code previous} is missing now taken (at most this bucket's capacity). */
    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock, TokenBucketLimiter previous) {
        this(spec, clock);
        long missing = Math.min(previous.snapshot().used(), spec.capacity());
        this.arrival = missing * spec.refillPeriodNanos(); // created now: the clock is at unit 0
    }

    @Override
    public boolean tryAcquire(long permits) {
        Require.atLeast("permits", permits, 1);
        long capacity = spec.capacity();
        if (permits > capacity) {
            return false;
        }
        long period = spec.refillPeriodNanos();
        long tolerance = capacity * period;
        long need = permits * period;
        long nowNanos = clock.nowNanos();
        long now = units(nowNanos);
        for (; ; ) {
            long current = arrival;
            long backlog = backlog(current, now, nowNanos, tolerance);
            if (need > tolerance - backlog) {
                return false;
            }
            markActive(nowNanos);
            if (ARRIVAL.compareAndSet(this, current, now + backlog + need)) {
                return true;
            }
        }
    }

    @Override
    public Decision decide(long permits) {
        Require.atLeast("permits", permits, 1);
        long capacity = spec.capacity();
        long period = spec.refillPeriodNanos();
        long tolerance = capacity * period;
        long nowNanos = clock.nowNanos();
        long now = units(nowNanos);
        for (; ; ) {
            long current = arrival;
            long backlog = backlog(current, now, nowNanos, tolerance);
            long room = tolerance - backlog;
            if (permits > capacity) {
                return Decision.denied(room / period, Decision.NEVER, toNanos(backlog));
            }
            long need = permits * period;
            if (need > room) {
                return Decision.denied(room / period, toNanos(need - room), toNanos(backlog));
            }
            markActive(nowNanos);
            if (ARRIVAL.compareAndSet(this, current, now + backlog + need)) {
                return Decision.allowed((room - need) / period, toNanos(backlog + need));
            }
        }
    }

    @Override
    public void release(long permits) {
        Require.atLeast("permits", permits, 1);
        long capacity = spec.capacity();
        long period = spec.refillPeriodNanos();
        long tolerance = capacity * period;
        long refund = Math.min(permits, capacity) * period;
        long nowNanos = clock.nowNanos();
        long now = units(nowNanos);
        for (; ; ) {
            long current = arrival;
            long backlog = backlog(current, now, nowNanos, tolerance);
            if (backlog == 0) {
                return;
            }
            // a reading older than the last update (a lead beyond the bucket) refunds from the TAT
            // itself: counted from the old reading, the refund would free the time between the two too
            long refunded = current - now > tolerance ? current - refund : now + Math.max(0, backlog - refund);
            markActive(nowNanos);
            if (ARRIVAL.compareAndSet(this, current, refunded)) {
                return;
            }
        }
    }

    @Override
    public TokenBucketSpec spec() {
        return spec;
    }

    @Override
    public LimiterSnapshot snapshot() {
        long tolerance = spec.capacity() * spec.refillPeriodNanos();
        long nowNanos = clock.nowNanos();
        long backlog = backlog(arrival, units(nowNanos), nowNanos, tolerance);
        return new LimiterSnapshot(spec, (tolerance - backlog) / spec.refillPeriodNanos(), 0, 0, toNanos(backlog));
    }

    @Override
    public long reclaimableAtNanos() {
        long nowNanos = clock.nowNanos();
        long tolerance = spec.capacity() * spec.refillPeriodNanos();
        return nowNanos + toNanos(backlog(arrival, units(nowNanos), nowNanos, tolerance));
    }

    /** The clock in units of 1/p ns since creation, modulo 2^64. */
    private long units(long nowNanos) {
        return Math.max(0, nowNanos - originNanos) * spec.refillPermits();
    }

    /**
     * How much of the bucket is empty, in units: the TAT's lead over now, 0 when it trails or when a
     * refill time has surely passed since it was written (the lead could have aliased), and the whole
     * bucket when it lies beyond the bucket: the reading is older than the last update (another
     * thread's fresher reading wrote it), and an older reading sees no refill the writer did not.
     * Read {@code arrival} before calling: activeNanos is read here, after.
     */
    private long backlog(long arrival, long now, long nowNanos, long tolerance) {
        if (nowNanos - activeNanos > refillNanos + refillNanos / 2) {
            return 0;
        }
        long lead = arrival - now;
        return lead < 0 ? 0 : Math.min(lead, tolerance);
    }

    /** Before changing the TAT: records that the bucket is in use at {@code nowNanos}, if the record is old. */
    private void markActive(long nowNanos) {
        long recorded = activeNanos;
        while (nowNanos - recorded > refillNanos / 2 && !ACTIVE.compareAndSet(this, recorded, nowNanos)) {
            recorded = activeNanos;
        }
    }

    private long toNanos(long units) {
        return Math.ceilDiv(units, spec.refillPermits());
    }
}
