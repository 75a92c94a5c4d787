package dev.gatehouse.core.limit;

import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A limiter that measures time from its creation, on its clock made monotonic. */
abstract class ElapsedTimeLimiter implements RateLimiter {

    final NanoClock clock;
    final long originNanos;

    ElapsedTimeLimiter(NanoClock clock) {
        this.clock = NanoClock.monotonic(clock);
        this.originNanos = this.clock.nowNanos();
    }

    /** Measures time from {@code originNanos} of {@code clock}, which is already monotonic. */
    ElapsedTimeLimiter(NanoClock clock, long originNanos) {
        this.clock = clock;
        this.originNanos = originNanos;
    }

    /** Nanoseconds since creation; never negative. */
    final long elapsedNanos() {
        return Math.max(0, clock.nowNanos() - originNanos);
    }

    /** A handle on the {@code long} field {@code name} of the class {@code lookup} belongs to. */
    static VarHandle longField(MethodHandles.Lookup lookup, String name) {
        try {
            return lookup.findVarHandle(lookup.lookupClass(), name, long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
