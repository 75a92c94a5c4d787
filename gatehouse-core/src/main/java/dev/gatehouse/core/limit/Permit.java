package dev.gatehouse.core.limit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Permits taken from a limiter, given back once however often {@link #release()} is called. */
public final class Permit implements AutoCloseable {

    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(Permit.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RateLimiter limiter;
    private final long permits;

    @SuppressWarnings("unused") // accessed through RELEASED
    private volatile boolean released;

    Permit(RateLimiter limiter, long permits) {
        this.limiter = limiter;
        this.permits = permits;
    }

    /** How many permits this handle holds. */
    public long permits() {
        return permits;
    }

    /** Gives the permits back; returns {@code false} when they were given back already. */
    public boolean release() {
        if (!RELEASED.compareAndSet(this, false, true)) {
            return false;
        }
        limiter.release(permits);
        return true;
    }

    /** Same as {@link #release()}. */
    @Override
    public void close() {
        release();
    }
}
