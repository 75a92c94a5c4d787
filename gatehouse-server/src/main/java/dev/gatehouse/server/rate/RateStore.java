package dev.gatehouse.server.rate;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import java.util.List;
import java.util.function.Function;

/**
 * Where the rate service keeps limiter state: the {@link KeyedRateLimiter} port that makes every
 * decision, and what an operator sees of the state (keys for {@code /debug}, counts for metrics).
 */
public interface RateStore {

    /** The port every decision, release and snapshot goes through. */
    KeyedRateLimiter limiter();

    /** Up to {@code max} keys that hold state, in key order. */
    List<String> keys(int max);

    /** How many keys hold state. */
    int keyCount();

    /** Keys evicted so far, for being idle or to stay within the bound. */
    long evictions();

    /** Looks at up to {@code maxEntries} keys and evicts the idle ones; returns how many were evicted. */
    int sweep(int maxEntries);

    /**
     * State in this process: at most {@code maxKeys} keys, each evicted {@link RateService#IDLE_WINDOWS}
     * windows after it was last useful. {@code fallbackPolicy} gives the spec of a key created
     * without one, which the rate service never does.
     */
    static RateStore inMemory(NanoClock clock, int maxKeys, Function<String, LimitSpec> fallbackPolicy) {
        return new MemoryRateStore(clock, maxKeys, fallbackPolicy);
    }
}
