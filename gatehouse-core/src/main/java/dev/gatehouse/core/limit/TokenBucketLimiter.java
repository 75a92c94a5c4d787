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
     * overflow harmlessly. The difference is trusted when it lies in [0, capacity*P]; anything else
     * means the bucket is full. Trade-off: after an idle spell longer than 2^63/p ns (292 years at a
     * whole-number interval; about 9 s at 10^9 odd permits per second) the difference can alias back
     * into that range, with probability capacity*P/2^64, and the bucket then looks partly empty for
     * up to one refill time. The error only ever denies, never over-admits, and is vanishingly
     * unlikely for buckets of sensible size.
     *
     * The clock is made monotonic on construction, so a clock that steps backwards neither adds nor
     * removes permits.
     */

    private static final VarHandle ARRIVAL = longField(MethodHandles.lookup(), "arrival");

    private final TokenBucketSpec spec;
    private volatile long arrival;

    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock) {
        super(clock);
        this.spec = spec;
    }

    /** Starts with the tokens {@code previous} is missing now taken (at most this bucket's capacity). */
    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock, TokenBucketLimiter previous) {
        this(spec, clock);
        long missing = Math.min(previous.snapshot().used(), spec.capacity());
        this.arrival = nowUnits() + missing * spec.refillPeriodNanos();
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
        long now = nowUnits();
        for (; ; ) {
            long current = arrival;
            long backlog = backlog(current, now, tolerance);
            if (need > tolerance - backlog) {
                return false;
            }
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
        long now = nowUnits();
        for (; ; ) {
            long current = arrival;
            long backlog = backlog(current, now, tolerance);
            long room = tolerance - backlog;
            if (permits > capacity) {
                return Decision.denied(room / period, Decision.NEVER, toNanos(backlog));
            }
            long need = permits * period;
            if (need > room) {
                return Decision.denied(room / period, toNanos(need - room), toNanos(backlog));
            }
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
        long now = nowUnits();
        for (; ; ) {
            long current = arrival;
            long backlog = backlog(current, now, tolerance);
            if (backlog == 0 || ARRIVAL.compareAndSet(this, current, now + Math.max(0, backlog - refund))) {
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
        long backlog = backlog(arrival, nowUnits(), tolerance);
        return new LimiterSnapshot(spec, (tolerance - backlog) / spec.refillPeriodNanos(), 0, 0, toNanos(backlog));
    }

    @Override
    public long reclaimableAtNanos() {
        long nowNanos = clock.nowNanos();
        long elapsed = Math.max(0, nowNanos - originNanos);
        long tolerance = spec.capacity() * spec.refillPeriodNanos();
        return nowNanos + toNanos(backlog(arrival, elapsed * spec.refillPermits(), tolerance));
    }

    /** The clock in units of 1/p ns since creation, modulo 2^64. */
    private long nowUnits() {
        return Math.max(0, clock.nowNanos() - originNanos) * spec.refillPermits();
    }

    /** How much of the bucket is empty, in units: the TAT's lead over now, or 0 when it trails or aliases. */
    private static long backlog(long arrival, long now, long tolerance) {
        long lead = arrival - now;
        return lead < 0 || lead > tolerance ? 0 : lead;
    }

    private long toNanos(long units) {
        return Math.ceilDiv(units, spec.refillPermits());
    }
}
