package dev.gatehouse.core.degrade;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.FixedWindowSpec;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.SlidingWindowSpec;
import dev.gatehouse.core.limit.TokenBucketSpec;

/** What a limiter decides while its shared store is degraded. */
public sealed interface Fallback {

    /** Every request is allowed: availability over the limit. */
    static Fallback failOpen() {
        return FailOpen.INSTANCE;
    }

    /** Every request is denied, with a retry after the store's probe interval: the limit over availability. */
    static Fallback failClosed() {
        return FailClosed.INSTANCE;
    }

    /**
     * Each node enforces its share of the limit in {@code local} (usually in memory): the limit
     * divided by {@code nodes}, at least one permit, so the fleet as a whole stays near the global
     * limit.
     */
    static Fallback local(KeyedRateLimiter local, int nodes) {
        return new Local(
                Require.given("local", local, "a limiter in this process"), Require.atLeast("nodes", nodes, 1));
    }

    /** Allows everything. */
    enum FailOpen implements Fallback {
        INSTANCE
    }

    /** Denies everything. */
    enum FailClosed implements Fallback {
        INSTANCE
    }

    /**
     * Enforces a share of each limit locally.
     *
     * @param limiter where the shares are enforced
     * @param nodes how many nodes share the limit
     */
    record Local(KeyedRateLimiter limiter, int nodes) implements Fallback {

        /** {@code spec} with its limit, and for a token bucket its rate too, divided among the nodes. */
        public LimitSpec shareOf(LimitSpec spec) {
            if (nodes == 1) {
                return spec;
            }
            return switch (spec) {
                case TokenBucketSpec bucket -> shareOf(bucket);
                case FixedWindowSpec window -> new FixedWindowSpec(share(window.maxPerWindow()), window.windowNanos());
                case SlidingWindowSpec window ->
                    new SlidingWindowSpec(share(window.maxPerWindow()), window.windowNanos());
                case ConcurrencySpec concurrency -> new ConcurrencySpec(share(concurrency.maxInFlight()));
            };
        }

        /** The burst and the rate divided; if the slower rate cannot be expressed, only the burst. */
        private TokenBucketSpec shareOf(TokenBucketSpec bucket) {
            long capacity = share(bucket.capacity());
            long period = bucket.refillPeriodNanos();
            if (period <= Long.MAX_VALUE / nodes) {
                try {
                    return new TokenBucketSpec(capacity, bucket.refillPermits(), period * nodes);
                } catch (IllegalArgumentException beyondTheBucketsBounds) {
                    // a tiny rate times many nodes: keep the rate, share the burst
                }
            }
            return new TokenBucketSpec(capacity, bucket.refillPermits(), period);
        }

        private long share(long limit) {
            return Math.max(1, limit / nodes);
        }
    }
}
