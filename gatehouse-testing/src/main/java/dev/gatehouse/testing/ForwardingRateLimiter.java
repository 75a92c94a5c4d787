package dev.gatehouse.testing;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;

/** A limiter that forwards every call to another one; tests override the call they watch or steer. */
public class ForwardingRateLimiter implements RateLimiter {

    private final RateLimiter inner;

    public ForwardingRateLimiter(RateLimiter inner) {
        this.inner = inner;
    }

    /** The limiter calls go to. */
    public RateLimiter inner() {
        return inner;
    }

    @Override
    public boolean tryAcquire(long permits) {
        return inner.tryAcquire(permits);
    }

    @Override
    public Decision decide(long permits) {
        return inner.decide(permits);
    }

    @Override
    public void release(long permits) {
        inner.release(permits);
    }

    @Override
    public LimitSpec spec() {
        return inner.spec();
    }

    @Override
    public LimiterSnapshot snapshot() {
        return inner.snapshot();
    }

    @Override
    public long reclaimableAtNanos() {
        return inner.reclaimableAtNanos();
    }
}
