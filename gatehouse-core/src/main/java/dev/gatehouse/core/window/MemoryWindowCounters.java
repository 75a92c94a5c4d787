package dev.gatehouse.core.window;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.WallClock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link WindowCounters} in this process: at most {@code maxCounters} at once. A counter is forgotten
 * once its window is over (swept when the table is full, at most once per second); when every place
 * holds a live counter, a new one is refused (the stage fails) rather than forgetting a live one,
 * which would let its client start over.
 */
public final class MemoryWindowCounters implements WindowCounters {

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
        long[] after = new long[keys.size()];
        for (int i = 0; i < after.length; i++) {
            String key = keys.get(i);
            long expires = now + ttlSeconds[i];
            Counter counter = counters.get(key);
            if (counter == null || counter.expiresAtSecond() <= now) {
                if (counter == null && counters.size() >= maxCounters && !sweep(now)) {
                    return CompletableFuture.failedStage(new IllegalStateException(
                            "window counters: all " + maxCounters + " places hold live counters"));
                }
                counter = counters.compute(
                        key,
                        (name, held) -> held == null || held.expiresAtSecond() <= now
                                ? new Counter(new AtomicLong(), expires)
                                : held);
            }
            after[i] = counter.value().addAndGet(hits[i]);
        }
        return CompletableFuture.completedFuture(after);
    }

    /** Forgets the counters whose window is over; whether there is room now. */
    private boolean sweep(long now) {
        long last = lastSweepSecond.get();
        if (last != now && lastSweepSecond.compareAndSet(last, now)) {
            counters.values().removeIf(counter -> counter.expiresAtSecond() <= now);
        }
        return counters.size() < maxCounters;
    }

    /** Counters held now, live or not yet swept. */
    public int size() {
        return counters.size();
    }
}
