package dev.gatehouse.core.window;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.WallClock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link WindowCounters} in this process: at most {@code maxCounters} at once. A counter is forgotten
 * once its time is over (swept when the table is full, at most once per second); when every place
 * holds a live counter, an add that needs a new one is refused whole (the stage fails, no counter of
 * it was added to) rather than forgetting a live one, which would let its client start over. A count
 * stops growing at {@link #SATURATED}, far past any limit, so it never wraps.
 */
public final class MemoryWindowCounters implements WindowCounters {

    /** Where a count stops growing: past every unsigned 32-bit limit, far from overflowing. */
    public static final long SATURATED = 1L << 52;

    private record Counter(AtomicLong value, long expiresAtSecond) {}

    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final WallClock clock;
    private final int maxCounters;
    private final AtomicLong lastSweepSecond = new AtomicLong(Long.MIN_VALUE);

    public MemoryWindowCounters(WallClock clock, int maxCounters) {
        this.clock = Require.given("clock", clock, "a wall clock");
        this.maxCounters = Require.atLeast("maxCounters", maxCounters, 1);
    }

    @Override
    public CompletionStage<long[]> add(List<String> keys, long[] hits, long[] ttlSeconds) {
        long now = clock.epochMillis() / 1000;
        Set<String> missing = new HashSet<>();
        for (String key : keys) {
            Counter counter = counters.get(key);
            if (counter == null || counter.expiresAtSecond() <= now) {
                missing.add(key); // a key twice in one add takes one place
            }
        }
        // checked before any add, so a refused add counts nothing; concurrent adds may pass the bound
        // by what they add at once (a few counters), never by more
        if (!missing.isEmpty() && counters.size() + missing.size() > maxCounters && !sweep(now, missing.size())) {
            return CompletableFuture.failedStage(
                    new IllegalStateException("window counters: all " + maxCounters + " places hold live counters"));
        }
        long[] after = new long[keys.size()];
        for (int i = 0; i < after.length; i++) {
            long expires = now + ttlSeconds[i];
            Counter counter = counters.compute(
                    keys.get(i),
                    (name, held) -> held == null || held.expiresAtSecond() <= now
                            ? new Counter(new AtomicLong(), expires)
                            : held);
            after[i] = counter.value().accumulateAndGet(hits[i], MemoryWindowCounters::saturatingAdd);
        }
        return CompletableFuture.completedFuture(after);
    }

    private static long saturatingAdd(long count, long hits) {
        return count >= SATURATED - hits ? Math.max(count, SATURATED) : count + hits;
    }

    /** Forgets the counters whose time is over; whether there is room for {@code needed} more now. */
    private boolean sweep(long now, int needed) {
        long last = lastSweepSecond.get();
        if (last != now && lastSweepSecond.compareAndSet(last, now)) {
            counters.values().removeIf(counter -> counter.expiresAtSecond() <= now);
        }
        return counters.size() + needed <= maxCounters;
    }

    /** Counters held now, live or not yet swept. */
    public int size() {
        return counters.size();
    }
}
