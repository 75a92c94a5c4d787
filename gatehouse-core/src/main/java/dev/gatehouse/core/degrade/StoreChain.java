package dev.gatehouse.core.degrade;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.time.NanoClock;

/**
 * Composes the layers in front of a shared store, in the one order they work in: the store, then a
 * denial cache (keys known to be over their limit are denied on this node until their retry time,
 * without asking the store), then the fallback that decides while the store does not answer.
 *
 * <pre>{@code
 * KeyedRateLimiter limiter = StoreChain.over(redis)
 *         .cachingDenials(clock, 100_000)
 *         .degrading(health, Fallback.local(localShares, nodes));
 * }</pre>
 */
public final class StoreChain {

    private final KeyedRateLimiter front;

    private StoreChain(KeyedRateLimiter front) {
        this.front = front;
    }

    /** A chain that starts at {@code store}. */
    public static StoreChain over(KeyedRateLimiter store) {
        Require.given("store", store, "a limiter");
        return new StoreChain(store);
    }

    /** Adds a denial cache of at most {@code maxKeys} keys on {@code clock}; {@code 0} adds nothing. */
    public StoreChain cachingDenials(NanoClock clock, int maxKeys) {
        Require.atLeast("maxKeys", maxKeys, 0);
        return maxKeys == 0 ? this : new StoreChain(KeyedRateLimiter.cachingDenials(front, clock, maxKeys));
    }

    /** The chain with {@code fallback} deciding while {@code health} says the store is down: its front. */
    public KeyedRateLimiter degrading(StoreHealth health, Fallback fallback) {
        return DegradingKeyedRateLimiter.create(front, health, fallback);
    }
}
