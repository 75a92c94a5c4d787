package dev.gatehouse.core.window;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Counters of fixed windows: each named by its window, added to, and forgotten once the window is
 * over. The memory implementation is {@link MemoryWindowCounters}; the Redis one ({@code
 * gatehouse-redis}) shares them between nodes.
 */
public interface WindowCounters {

    /**
     * Adds {@code hits[i]} (0: only reads) to the counter {@code keys[i]}, which lives {@code
     * ttlSeconds[i]} from its first hit, and answers each counter's value after; fails (without a
     * partial answer) when the counters cannot be reached.
     */
    CompletionStage<long[]> add(List<String> keys, long[] hits, long[] ttlSeconds);
}
