package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Limits per key, decided where the state lives: in this process or in a store that several nodes
 * share. Every call names the key's spec, so the caller's policy (config, per-key overrides) stays
 * the one source of configuration and a shared store needs no configuration of its own.
 *
 * <p>Calls never block. A store that cannot answer completes the stage exceptionally with {@link
 * LimiterUnavailableException}; wrap it in {@link DegradingKeyedRateLimiter} to decide what happens then.
 */
public interface KeyedRateLimiter {

    /** Takes {@code permits} from {@code key}'s limiter for {@code spec} if they are available now. */
    CompletionStage<Decision> decide(String key, LimitSpec spec, long permits);

    /**
     * Gives back {@code permits} of the grant whose decision carried {@code lease} ({@link
     * Decision#lease()}). A store that keeps a lease per grant gives back that grant's permits and no
     * other's: nothing when the grant is gone already (its lease expired, or it was released). With
     * {@link Decision#NO_LEASE}, or in a limiter that keeps no leases, permits are given back by
     * count (see {@link RateLimiter#release(long)}).
     */
    CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease);

    /**
     * Gives back permits taken earlier from {@code key} by count, naming no grant: {@link
     * #release(String, LimitSpec, long, long)} with {@link Decision#NO_LEASE}. Where a store keeps
     * leases, this frees whichever grants it picks (the ones closest to expiry), which may be another
     * holder's if the caller's own lease has expired; pass the decision's lease instead.
     */
    default CompletionStage<Void> release(String key, LimitSpec spec, long permits) {
        return release(key, spec, permits, Decision.NO_LEASE);
    }

    /** The state of {@code key}'s limiter, or empty when the key holds no state (it is fresh). */
    CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec);

    /** Limits kept in this process by {@code limiters}: each call completes before it returns. */
    static KeyedRateLimiter inMemory(LimiterRegistry<LimitSpec, RateLimiter> limiters) {
        return new MemoryKeyedRateLimiter(Require.given("limiters", limiters, "a registry of limiters"));
    }

    /**
     * {@code store} behind a cache of keys it found over their limit: until such a key may retry
     * (by {@code clock}), requests for it are denied here without asking {@code store}. At most
     * {@code maxKeys} keys are cached. For shared stores under floods against a few hot keys.
     */
    static KeyedRateLimiter cachingDenials(KeyedRateLimiter store, NanoClock clock, int maxKeys) {
        return new DenialCachingRateLimiter(
                Require.given("store", store, "a limiter"),
                Require.given("clock", clock, "a clock"),
                Require.atLeast("maxKeys", maxKeys, 1));
    }

    /**
     * A local tier in front of {@code global} (a limit shared by several nodes, in Redis): each node
     * takes permits from the global limit in leases of up to {@code maxLease} at a time and admits
     * from them locally, so the shared store is asked about once per lease instead of once per
     * request; a lease is used within {@code leaseTime} of its grant or not at all, and its size
     * follows the key's traffic on this node (it doubles when used up within half its time, halves
     * when it expires more than half unused). A refusal is kept until its retry time and answered
     * locally.
     *
     * <p>The bound: every permit admitted was taken from the global limit first, once; permits taken
     * for one window (or refill) may be used up to {@code leaseTime} later, so over any interval the
     * nodes admit at most the global limit's allowance plus {@code nodes × maxLease} per key. Unused
     * permits of an expired lease go back to a token bucket; a window loses them. Concurrency limits
     * are passed through unleased, and so is every key past {@code maxKeys} leases.
     */
    static KeyedRateLimiter leasing(
            KeyedRateLimiter global, NanoClock clock, java.time.Duration leaseTime, long maxLease, int maxKeys) {
        return new LeasingRateLimiter(
                Require.given("global", global, "a limiter"),
                Require.given("clock", clock, "a clock"),
                Require.nanosAtLeast("leaseTime", leaseTime, 1),
                Require.atLeast("maxLease", maxLease, 1),
                Require.atLeast("maxKeys", maxKeys, 1));
    }

    /**
     * A blocking view of {@code key}'s limiter for {@code spec}, for callers that cannot take a
     * {@link CompletionStage}: each call waits for its stage, and throws {@link
     * LimiterUnavailableException} when the store does not answer. It keeps no state of its own, so
     * it is reclaimable at any time.
     */
    default RateLimiter limiter(String key, LimitSpec spec) {
        return new BlockingRateLimiter(this, key, spec);
    }
}
