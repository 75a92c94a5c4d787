package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Limiters per key, created on demand from a policy (key to spec) and a factory (spec to limiter),
 * evicted when idle, and bounded in number so that a flood of distinct keys cannot exhaust memory.
 * The limiter knows its spec ({@code specOf}), so a key costs one map node and its limiter.
 *
 * @param <S> the per-key configuration; equal values mean "unchanged" on {@link #reconfigure}
 * @param <L> the limiter type
 */
public final class KeyedLimiters<S, L extends RateLimiter> {

    /*
     * Design: a ConcurrentHashMap from key to limiter. The lookup path is one map read and
     * allocates nothing; nothing is written per access. Idleness is not tracked by timestamps but
     * asked of the limiter: reclaimableAtNanos() says from when it is indistinguishable from a fresh
     * one (a full bucket, a past window, nothing in flight, nobody waiting).
     *
     * One cursor walks the map in bounded steps under a lock. Inserting a key past the bound evicts:
     * it samples a few entries from the cursor and removes the one reclaimable soonest (entries with
     * waiters or work in flight are never chosen). Inserts also check a couple of entries for idle
     * expiry, and sweep() lets an owner with a timer do more. Every step is bounded, so there is no
     * stop-the-world scan. Inserts wait for the lock rather than skip eviction: skipping lets a
     * backlog build up under a flood of new keys that one unlucky thread then has to clear. So the
     * bound is exact, unless every sampled entry is busy (then it is exceeded until they finish).
     */

    private static final int EVICTION_SAMPLE = 8;
    private static final int SWEEP_PER_INSERT = 2;

    private final ConcurrentHashMap<String, L> entries = new ConcurrentHashMap<>();
    private final Function<S, L> factory;
    private final Function<L, S> specOf;
    private final ToLongFunction<S> idleNanos;
    private final NanoClock clock;
    private final int maximumKeys;
    private final ReentrantLock cursorLock = new ReentrantLock();
    private final LongAdder evictions = new LongAdder();
    private volatile Function<String, S> policy;
    private Iterator<Map.Entry<String, L>> cursor;

    private KeyedLimiters(Builder<S, L> builder) {
        this.policy = builder.policy;
        this.factory = builder.factory;
        this.specOf = builder.specOf;
        this.idleNanos = builder.idleNanos;
        this.clock = builder.clock;
        this.maximumKeys = builder.maximumKeys;
    }

    /**
     * A builder of a registry that configures each key with {@code policy}, makes its limiter with
     * {@code factory}, and reads a limiter's spec back with {@code specOf}.
     */
    public static <S, L extends RateLimiter> Builder<S, L> builder(
            Function<String, S> policy, Function<S, L> factory, Function<L, S> specOf) {
        return new Builder<>(policy, factory, specOf);
    }

    /** A builder of a registry of plain limiters, made from the {@link LimitSpec} the policy gives each key. */
    public static Builder<LimitSpec, RateLimiter> forSpecs(Function<String, LimitSpec> policy, NanoClock clock) {
        NanoClock monotonic = NanoClock.monotonic(clock); // once, not once per key
        return new Builder<LimitSpec, RateLimiter>(policy, spec -> spec.newLimiter(monotonic), RateLimiter::spec)
                .clock(monotonic);
    }

    /** The limiter of {@code key}, created from the policy if the key has none. */
    public L limiter(String key) {
        L limiter = entries.get(key);
        return limiter != null ? limiter : create(key);
    }

    /** The limiter of {@code key} if it exists; never creates one. */
    public Optional<L> find(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** The spec in force for {@code key} if it has a limiter. */
    public Optional<S> spec(String key) {
        return find(key).map(specOf);
    }

    /**
     * Gives {@code key} a limiter for {@code spec} unless it already has one for an equal spec, and
     * returns it. This is how per-key overrides are applied; they last until the key is evicted or
     * the registry is reconfigured.
     */
    public L limiter(String key, S spec) {
        Objects.requireNonNull(spec, "spec");
        for (; ; ) {
            L existing = entries.get(key);
            if (existing != null && specOf.apply(existing).equals(spec)) {
                return existing;
            }
            L fresh = factory.apply(spec);
            if (existing == null) {
                if (entries.putIfAbsent(key, fresh) == null) {
                    afterInsert(key);
                    return fresh;
                }
            } else if (entries.replace(key, existing, fresh)) {
                return fresh;
            }
        }
    }

    /**
     * Replaces the policy. Keys whose spec is unchanged keep their limiter and its state; the others
     * get a fresh limiter for their new spec. A replaced limiter keeps serving the requests already
     * waiting in it.
     */
    public void reconfigure(Function<String, S> newPolicy) {
        this.policy = Objects.requireNonNull(newPolicy, "newPolicy");
        entries.forEach((key, existing) -> {
            S spec = newPolicy.apply(key);
            if (!spec.equals(specOf.apply(existing))) {
                entries.replace(key, existing, factory.apply(spec));
            }
        });
    }

    /** Number of keys with a limiter. */
    public int size() {
        return entries.size();
    }

    /** Keys evicted so far, for being idle or to stay within the bound. */
    public long evictions() {
        return evictions.sum();
    }

    /** The state of {@code key}'s limiter, if it has one. */
    public Optional<LimiterSnapshot> snapshot(String key) {
        return find(key).map(RateLimiter::snapshot);
    }

    /** The state of every limiter, by key in key order. Costs a pass over all keys. */
    public Map<String, LimiterSnapshot> snapshot() {
        Map<String, LimiterSnapshot> result = new TreeMap<>();
        entries.forEach((key, limiter) -> result.put(key, limiter.snapshot()));
        return result;
    }

    /** Calls {@code action} for every key and its limiter, without copying. */
    public void forEach(BiConsumer<String, L> action) {
        entries.forEach(action);
    }

    /**
     * Looks at up to {@code maxEntries} keys, continuing where the last look stopped, and evicts those
     * that have been reclaimable for their idle time. Returns how many were evicted; returns 0 at once
     * if another thread is sweeping.
     */
    public int sweep(int maxEntries) {
        if (!cursorLock.tryLock()) {
            return 0;
        }
        try {
            long now = clock.nowNanos();
            int evicted = 0;
            for (int i = 0; i < maxEntries; i++) {
                Map.Entry<String, L> next = nextEntry();
                if (next == null) {
                    break;
                }
                if (isExpired(next.getValue(), now) && evict(next.getKey(), next.getValue())) {
                    evicted++;
                }
            }
            return evicted;
        } finally {
            cursorLock.unlock();
        }
    }

    private L create(String key) {
        S spec = Objects.requireNonNull(policy.apply(key), "policy returned no spec");
        L fresh = factory.apply(spec);
        L raced = entries.putIfAbsent(key, fresh);
        if (raced != null) {
            return raced;
        }
        afterInsert(key);
        return fresh;
    }

    /** Sweeps and evicts to stay within the bound, sparing {@code inserted}: its caller is about to use it. */
    private void afterInsert(String inserted) {
        cursorLock.lock();
        try {
            long now = clock.nowNanos();
            for (int i = 0; i < SWEEP_PER_INSERT; i++) {
                Map.Entry<String, L> next = nextEntry();
                if (next != null && !next.getKey().equals(inserted) && isExpired(next.getValue(), now)) {
                    evict(next.getKey(), next.getValue());
                }
            }
            while (entries.size() > maximumKeys && evictOneToMakeRoom(inserted)) {
                // each round removes one entry; stops when a sample holds nothing evictable
            }
        } finally {
            cursorLock.unlock();
        }
    }

    /** Under the cursor lock: removes the sampled entry that is reclaimable soonest. */
    private boolean evictOneToMakeRoom(String spared) {
        String victimKey = null;
        L victim = null;
        long victimReclaimableAt = Long.MAX_VALUE;
        for (int i = 0; i < EVICTION_SAMPLE; i++) {
            Map.Entry<String, L> next = nextEntry();
            if (next == null) {
                break;
            }
            if (next.getKey().equals(spared)) {
                continue;
            }
            long reclaimableAt = next.getValue().reclaimableAtNanos();
            if (reclaimableAt < victimReclaimableAt) {
                victimKey = next.getKey();
                victim = next.getValue();
                victimReclaimableAt = reclaimableAt;
            }
        }
        return victim != null && evict(victimKey, victim);
    }

    private boolean isExpired(L limiter, long now) {
        long reclaimableAt = limiter.reclaimableAtNanos();
        if (reclaimableAt == Long.MAX_VALUE) {
            return false;
        }
        long idle = idleNanos.applyAsLong(specOf.apply(limiter));
        return now - reclaimableAt >= idle;
    }

    private boolean evict(String key, L limiter) {
        if (entries.remove(key, limiter)) {
            evictions.increment();
            return true;
        }
        return false;
    }

    /** Under the cursor lock: the next entry of the endless walk over the map, or null if empty. */
    private Map.Entry<String, L> nextEntry() {
        if (cursor == null || !cursor.hasNext()) {
            cursor = entries.entrySet().iterator();
            if (!cursor.hasNext()) {
                return null;
            }
        }
        return cursor.next();
    }

    /** Configures a {@link KeyedLimiters}. */
    public static final class Builder<S, L extends RateLimiter> {
        private final Function<String, S> policy;
        private final Function<S, L> factory;
        private final Function<L, S> specOf;
        private ToLongFunction<S> idleNanos = spec -> 0;
        private NanoClock clock = NanoClock.system();
        private int maximumKeys = 1_000_000;

        private Builder(Function<String, S> policy, Function<S, L> factory, Function<L, S> specOf) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.factory = Objects.requireNonNull(factory, "factory");
            this.specOf = Objects.requireNonNull(specOf, "specOf");
        }

        /** The most keys kept at once (default one million). */
        public Builder<S, L> maximumKeys(int maximumKeys) {
            this.maximumKeys = Require.atLeast("maximumKeys", maximumKeys, 1);
            return this;
        }

        /** How long a key stays after its limiter became reclaimable (default: zero). */
        public Builder<S, L> idleTime(Duration idleTime) {
            long nanos = Require.nanosAtLeast("idleTime", idleTime, 0);
            this.idleNanos = spec -> nanos;
            return this;
        }

        /** How long a key stays after its limiter became reclaimable, depending on its spec. */
        public Builder<S, L> idleTime(ToLongFunction<S> idleNanosBySpec) {
            this.idleNanos = Objects.requireNonNull(idleNanosBySpec, "idleNanosBySpec");
            return this;
        }

        /** The clock idle times are measured with; use the one the limiters read. */
        public Builder<S, L> clock(NanoClock clock) {
            this.clock = NanoClock.monotonic(Objects.requireNonNull(clock, "clock"));
            return this;
        }

        public KeyedLimiters<S, L> build() {
            return new KeyedLimiters<>(this);
        }
    }
}
