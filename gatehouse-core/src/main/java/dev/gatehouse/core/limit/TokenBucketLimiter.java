package dev.gatehouse.core.limit;

import dev.gatehouse.core.time.NanoClock;

/** A lock-free token bucket whose whole state is two {@code long}s ({@link TokenBucketCells}). */
final class TokenBucketLimiter extends ElapsedTimeLimiter {

    private final TokenBucketCells bucket;
    /** Written in the constructor, before the final field publishes them. */
    private final long[] cells = new long[TokenBucketCells.WORDS];

    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock) {
        this(spec, clock, 0);
    }

    /** Starts with the tokens {@code previous} is missing now taken (at most this bucket's capacity). */
    TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock, TokenBucketLimiter previous) {
        this(spec, clock, previous.snapshot().used());
    }

    private TokenBucketLimiter(TokenBucketSpec spec, NanoClock clock, long missing) {
        super(clock);
        this.bucket = new TokenBucketCells(spec, originNanos);
        bucket.fill(cells, 0, originNanos, missing);
    }

    @Override
    public boolean tryAcquire(long permits) {
        return bucket.tryAcquire(cells, 0, clock.nowNanos(), permits);
    }

    @Override
    public Decision decide(long permits) {
        return bucket.decide(cells, 0, clock.nowNanos(), permits);
    }

    @Override
    public void release(long permits) {
        bucket.release(cells, 0, clock.nowNanos(), permits);
    }

    @Override
    public TokenBucketSpec spec() {
        return bucket.spec();
    }

    @Override
    public LimiterSnapshot snapshot() {
        return bucket.snapshot(cells, 0, clock.nowNanos());
    }

    @Override
    public long reclaimableAtNanos() {
        return bucket.reclaimableAtNanos(cells, 0, clock.nowNanos());
    }
}
