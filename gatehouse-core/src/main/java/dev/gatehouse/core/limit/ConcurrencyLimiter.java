package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A lock-free count of permits in flight, released by the caller. */
final class ConcurrencyLimiter extends ElapsedTimeLimiter {

    private static final VarHandle IN_FLIGHT = longField(MethodHandles.lookup(), "inFlight");

    private final ConcurrencySpec spec;
    private volatile long inFlight;
    private volatile long idleSinceNanos;

    ConcurrencyLimiter(ConcurrencySpec spec, NanoClock clock) {
        super(clock);
        this.spec = spec;
        this.idleSinceNanos = originNanos;
    }

    /** Takes over the permits {@code previous} has in flight (more than the new maximum, if so). */
    ConcurrencyLimiter(ConcurrencySpec spec, NanoClock clock, ConcurrencyLimiter previous) {
        this(spec, clock);
        this.inFlight = previous.inFlight;
        this.idleSinceNanos = previous.idleSinceNanos;
    }

    @Override
    public boolean tryAcquire(long permits) {
        Require.atLeast("permits", permits, 1);
        long max = spec.maxInFlight();
        for (; ; ) {
            long current = inFlight;
            if (permits > max - current) {
                return false;
            }
            if (IN_FLIGHT.compareAndSet(this, current, current + permits)) {
                return true;
            }
        }
    }

    @Override
    public Decision decide(long permits) {
        Require.atLeast("permits", permits, 1);
        long max = spec.maxInFlight();
        for (; ; ) {
            long current = inFlight;
            if (permits > max - current) {
                return Decision.denied(Math.max(0, max - current), Decision.NEVER, Decision.NEVER);
            }
            if (IN_FLIGHT.compareAndSet(this, current, current + permits)) {
                return Decision.allowed(max - current - permits, Decision.NEVER);
            }
        }
    }

    @Override
    public void release(long permits) {
        Require.atLeast("permits", permits, 1);
        for (; ; ) {
            long current = inFlight;
            if (current == 0) {
                return;
            }
            long next = Math.max(0, current - permits);
            if (IN_FLIGHT.compareAndSet(this, current, next)) {
                if (next == 0) {
                    idleSinceNanos = clock.nowNanos();
                }
                return;
            }
        }
    }

    @Override
    public ConcurrencySpec spec() {
        return spec;
    }

    @Override
    public LimiterSnapshot snapshot() {
        long current = inFlight;
        return new LimiterSnapshot(
                spec, Math.max(0, spec.maxInFlight() - current), 0, 0, current == 0 ? 0 : Decision.NEVER);
    }

    @Override
    public long reclaimableAtNanos() {
        return inFlight == 0 ? idleSinceNanos : Long.MAX_VALUE;
    }
}
