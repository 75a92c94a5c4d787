package dev.gatehouse.rate;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.LimitSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Where the rate service keeps limiter state: the {@link KeyedRateLimiter} port that makes every
 * decision, and what an operator sees of the state (keys for {@code /debug}, counts for metrics).
 */
public interface RateStore {

    /** The port every decision, release and snapshot goes through. */
    KeyedRateLimiter limiter();

    /** Calls {@code action} for every key that holds state, in no particular order. */
    void forEachKey(Consumer<String> action);

    /**
     * A page of keys that hold state: up to {@code max} of those after {@code after} (from the first
     * when null), in key order. Costs one pass over the keys and memory for {@code max} of them.
     */
    default List<String> keys(@Nullable String after, int max) {
        TreeSet<String> page = new TreeSet<>();
        forEachKey(key -> {
            if (after == null || key.compareTo(after) > 0) {
                page.add(key);
                if (page.size() > max) {
                    page.pollLast();
                }
            }
        });
        return new ArrayList<>(page);
    }

    /** How many keys hold state. */
    int keyCount();

    /** Keys evicted so far, for being idle or to stay within the bound. */
    long evictions();

    /** New keys refused so far because the store was full of keys it could not evict (0 where it never refuses). */
    default long refusedKeys() {
        return 0;
    }

    /** Looks at up to {@code maxEntries} keys and evicts the idle ones; returns how many were evicted. */
    int sweep(int maxEntries);

    /**
     * Why this store cannot keep {@code spec} exactly, or empty when it can (the memory store keeps
     * every spec; Redis's scripts bound their arithmetic).
     */
    default Optional<String> refusal(LimitSpec spec) {
        return Optional.empty();
    }
}
