package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A lock-free count of permits in flight, released by the caller. */
final class ConcurrencyLimiter implements RateLimiter {

    private static final VarHandle IN_FLIGHT;

    static {
        try {
            IN_FLIGHT = MethodHandles.lookup().findVarHandle(ConcurrencyLimiter.class, "inFlight", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ConcurrencySpec spec;
    private final NanoClock clock;
    private volatile long inFlight;
    private volatile long idleSinceNanos;

    ConcurrencyLimiter(ConcurrencySpec spec, NanoClock clock) {
        this.spec = spec;
        this.clock = NanoClock.monotonic(clock);
        this.idleSinceNanos = this.clock.nowNanos();
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
                return Decision.denied(max - current, Decision.NEVER, Decision.NEVER);
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
        return new LimiterSnapshot(spec, spec.maxInFlight() - current, 0, 0, current == 0 ? 0 : Decision.NEVER);
    }

    @Override
    public long reclaimableAtNanos() {
        return inFlight == 0 ? idleSinceNanos : Long.MAX_VALUE;
    }
}
