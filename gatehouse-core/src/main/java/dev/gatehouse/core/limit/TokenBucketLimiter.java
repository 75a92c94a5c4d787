package dev.gatehouse.core.limit;

import dev.gatehouse.core.time.NanoClock;

/**
 * A lock-free token bucket whose whole state is two {@code long}s: the {@link TokenBucketCells} of its
 * spec over an array of its own, read on its clock made monotonic.
 */
final class TokenBucketLimiter extends TokenBucketCells implements RateLimiter {

    private final NanoClock clock;
    /** Written in the constructor, before the final field publishes them. */
    private final long[] cells = new long[WORDS];

    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock) {
        this(spec, NanoClock.monotonic(clock), 0);
    }

    /** Starts with the tokens {@code previous} is missing now taken (at most this bucket's capacity). */
    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock, TokenBucketLimiter previous) {
        this(spec, NanoClock.monotonic(clock), previous.snapshot().used());
    }

    private TokenBucketLimiter(TokenBucketSpec spec, NanoClock monotonic, long missing) {
        super(spec, monotonic.nowNanos());
        this.clock = monotonic;
        fill(cells, 0, originNanos, missing);
    }

    @Override
    public boolean tryAcquire(long permits) {
        return tryAcquire(cells, 0, clock.nowNanos(), permits);
    }

    @Override
    public Decision decide(long permits) {
        return decide(cells, 0, clock.nowNanos(), permits);
    }

    @Override
    public void release(long permits) {
        release(cells, 0, clock.nowNanos(), permits);
    }

    @Override
    public LimiterSnapshot snapshot() {
        return snapshot(cells, 0, clock.nowNanos());
    }

    @Override
    public long reclaimableAtNanos() {
        return reclaimableAtNanos(cells, 0, clock.nowNanos());
    }
}
