package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Limiters per key, created on demand from a policy (key to spec) and a factory (spec to limiter),
 * evicted when idle, and bounded in number so that a flood of distinct keys cannot exhaust memory.
 * A limiter is used through {@link #hold}: while held it is neither evicted nor replaced.
 *
 * @param <S> the per-key configuration; equal values mean "unchanged" on {@link #reconfigure}
 * @param <L> the limiter type
 */
public final class KeyedLimiters<S, L extends RateLimiter> {

    /*
     * Design: a ConcurrentHashMap from key to a Held entry, which wraps the limiter with a count of
     * its current users. Using a limiter is: look the entry up, add one user (one atomic add), decide,
     * remove the user. Eviction and replacement first retire the entry: one CAS from "no users" to
     * "retired", which no later user can pass, so a limiter is never used after it was judged idle,
     * and its state is never copied while a decision is under way. A user that meets a retired entry
     * looks the key up again. Idleness is asked of the limiter: reclaimableAtNanos() says from when it
     * is indistinguishable from a fresh one (a full bucket, a past window, nothing in flight, nobody
     * waiting).
     *
     * Entries are also kept in a queue in sweep order, under one lock, with the map's inserts. A sweep
     * step takes the entry at the head and either evicts it or moves it to the tail, so sweeping costs
     * in proportion to the keys looked at, whatever the map's table grew to during a flood (a walk over
     * the map itself would visit every empty bucket of a table that never shrinks). Inserting a key
     * past the bound evicts the sampled entry that is reclaimable soonest; when every sampled entry is
     * busy (work in flight, waiters) in a few samples, the new key is refused instead of exceeding the
     * bound, and the refusal is counted. So the bound is exact; the sampling may refuse a key while an
     * idle one sits elsewhere in the queue, which the rotation brings into a later sample.
     *
     * A key whose spec changes (reconfiguration, an override) gets a new limiter that takes over the
     * old one's use (permits in flight, window counts), so a change of limit never forgets calls that
     * are already counted.
     */

    private static final int EVICTION_SAMPLE = 8;
    private static final int EVICTION_ATTEMPTS = 4;
    private static final int SWEEP_PER_INSERT = 2;

    private final ConcurrentHashMap<String, Held<L>> entries = new ConcurrentHashMap<>();
    private final Function<S, L> factory;
    private final BiFunction<S, L, L> successor;
    private final Function<L, S> specOf;
    private final ToLongFunction<S> idleNanos;
    private final NanoClock clock;
    private final int maximumKeys;
    private final ReentrantLock orderLock = new ReentrantLock();
    private final ArrayDeque<Held<L>> sweepOrder = new ArrayDeque<>();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private volatile Function<String, S> policy;

    private KeyedLimiters(Builder<S, L> builder) {
        this.policy = builder.policy;
        this.factory = builder.factory;
        this.successor = builder.successor;
        this.specOf = builder.specOf;
        this.idleNanos = builder.idleNanos;
        this.clock = builder.clock;
        this.maximumKeys = builder.maximumKeys;
    }

    /**
     * A builder of a registry that configures each key with {@code policy}, makes its limiter with
     * {@code factory}, and reads a limiter's spec back with {@code specOf}. A key whose spec changes
     * gets a fresh limiter unless {@link Builder#successor} says how to carry state over.
     */
    public static <S, L extends RateLimiter> Builder<S, L> builder(
            Function<String, S> policy, Function<S, L> factory, Function<L, S> specOf) {
        return new Builder<>(policy, factory, specOf);
    }

    /**
     * A builder of a registry of plain limiters, made from the {@link LimitSpec} the policy gives each
     * key; a key whose spec changes keeps its use ({@link LimitSpec#newLimiter(NanoClock, RateLimiter)}).
     */
    public static Builder<LimitSpec, RateLimiter> forSpecs(Function<String, LimitSpec> policy, NanoClock clock) {
        NanoClock monotonic = NanoClock.monotonic(clock); // once, not once per key
        return new Builder<LimitSpec, RateLimiter>(policy, spec -> spec.newLimiter(monotonic), RateLimiter::spec)
                .successor((spec, previous) -> spec.newLimiter(monotonic, previous))
                .clock(monotonic);
    }

    /**
     * Holds the limiter of {@code key}, created from the policy if the key has none; close the result
     * when done with it (soon: a holder delays eviction and reconfiguration of the key). Returns null
     * when the key is new and the registry is full of keys that cannot be evicted.
     */
    public Held<L> hold(String key) {
        for (int attempt = 0; ; attempt++) {
            Held<L> held = entries.get(key);
            if (held == null) {
                return create(key, null);
            }
            if (held.enter()) {
                return held;
            }
            backOff(attempt);
        }
    }

    /**
     * Holds a limiter of {@code key} for {@code spec}: the key's own if its spec is equal, otherwise a
     * new one that takes over the old one's use. This is how per-key overrides are applied; they last
     * until the key is evicted or the registry is reconfigured. Returns null as {@link #hold(String)}
     * does.
     */
    public Held<L> hold(String key, S spec) {
        Objects.requireNonNull(spec, "spec");
        for (int attempt = 0; ; attempt++) {
            Held<L> held = entries.get(key);
            if (held == null) {
                return create(key, spec);
            }
            if (specOf.apply(held.limiter).equals(spec)) {
                if (held.enter()) {
                    return held;
                }
            } else {
                Held<L> successor = replace(held, spec);
                if (successor != null) {
                    return successor;
                }
            }
            backOff(attempt);
        }
    }

    /** Holds the limiter of {@code key} if it has one (never creates one); null otherwise. Close it when done. */
    public Held<L> holdExisting(String key) {
        for (int attempt = 0; ; attempt++) {
            Held<L> held = entries.get(key);
            if (held == null || held.enter()) {
                return held;
            }
            backOff(attempt);
        }
    }

    /** The spec in force for {@code key} if it has a limiter. */
    public Optional<S> spec(String key) {
        Held<L> held = entries.get(key);
        return held == null ? Optional.empty() : Optional.of(specOf.apply(held.limiter));
    }

    /**
     * Replaces the policy. Keys whose spec is unchanged keep their limiter and its state; the others
     * get a limiter for their new spec that takes over the old one's use.
     */
    public void reconfigure(Function<String, S> newPolicy) {
        this.policy = Objects.requireNonNull(newPolicy, "newPolicy");
        entries.forEach((key, ignored) -> {
            S spec = newPolicy.apply(key);
            for (int attempt = 0; ; attempt++) {
                Held<L> held = entries.get(key);
                if (held == null || specOf.apply(held.limiter).equals(spec)) {
                    break;
                }
                Held<L> successor = replace(held, spec);
                if (successor != null) {
                    successor.close();
                    break;
                }
                backOff(attempt);
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

    /** New keys refused so far because the registry was full of keys that could not be evicted. */
    public long refusals() {
        return refusals.sum();
    }

    /** The state of {@code key}'s limiter, if it has one. */
    public Optional<LimiterSnapshot> snapshot(String key) {
        Held<L> held = entries.get(key);
        return held == null ? Optional.empty() : Optional.of(held.limiter.snapshot());
    }

    /** The state of every limiter, by key in key order. Costs a pass over all keys. */
    public Map<String, LimiterSnapshot> snapshot() {
        Map<String, LimiterSnapshot> result = new TreeMap<>();
        entries.forEach((key, held) -> result.put(key, held.limiter.snapshot()));
        return result;
    }

    /** Calls {@code action} for every key and its limiter, without copying. */
    public void forEach(BiConsumer<String, L> action) {
        entries.forEach((key, held) -> action.accept(key, held.limiter));
    }

    /**
     * Looks at up to {@code maxEntries} keys, continuing where the last look stopped, and evicts those
     * that have been reclaimable for their idle time. Returns how many were evicted; returns 0 at once
     * if another thread is sweeping or inserting.
     */
    public int sweep(int maxEntries) {
        if (!orderLock.tryLock()) {
            return 0;
        }
        try {
            return sweepSome(maxEntries, clock.nowNanos());
        } finally {
            orderLock.unlock();
        }
    }

    /** Under the order lock: looks at up to {@code maxEntries} entries from the head of the sweep order. */
    private int sweepSome(int maxEntries, long now) {
        int evicted = 0;
        for (int i = Math.min(maxEntries, sweepOrder.size()); i > 0; i--) {
            Held<L> next = sweepOrder.pollFirst();
            if (next.removed) {
                continue;
            }
            if (isExpired(next.limiter, now) && evict(next, true)) {
                evicted++;
            } else {
                sweepOrder.addLast(next);
            }
        }
        return evicted;
    }

    /** Creates {@code key}'s entry (for {@code spec}, or from the policy when null) and holds it; null if full. */
    private Held<L> create(String key, S spec) {
        // the policy and the factory are the caller's code: they run before the lock, never under it
        S chosen = spec != null ? spec : Objects.requireNonNull(policy.apply(key), "policy returned no spec");
        Held<L> fresh = new Held<>(key, factory.apply(chosen));
        orderLock.lock();
        try {
            for (int attempt = 0; ; attempt++) {
                Held<L> raced = entries.get(key);
                if (raced == null) {
                    break;
                }
                if (raced.enter()) {
                    return raced; // another thread created it meanwhile (an override then replaces it)
                }
                backOff(attempt);
            }
            sweepSome(SWEEP_PER_INSERT, clock.nowNanos());
            if (entries.size() >= maximumKeys && !makeRoom()) {
                refusals.increment();
                return null;
            }
            fresh.enter();
            entries.put(key, fresh);
            sweepOrder.addLast(fresh);
            return fresh;
        } finally {
            orderLock.unlock();
        }
    }

    /**
     * Gives {@code held}'s key a limiter for {@code spec} taking over the old one's use, and holds it.
     * Returns null when {@code held} is in use or already retired: the caller looks the key up again.
     */
    private Held<L> replace(Held<L> held, S spec) {
        if (!held.retire()) {
            return null;
        }
        Held<L> fresh = new Held<>(held.key, successor.apply(spec, held.limiter));
        fresh.enter();
        entries.replace(held.key, held, fresh); // the retired entry stays until here: only its retirer moves it
        held.removed = true;
        orderLock.lock();
        try {
            sweepOrder.addLast(fresh);
            sweepSome(SWEEP_PER_INSERT, clock.nowNanos()); // also drops replaced entries from the order
        } finally {
            orderLock.unlock();
        }
        return fresh;
    }

    /**
     * Under the order lock: evicts until there is room for one more key, a sample at a time, and gives
     * up after a few samples that held only busy entries (the rotation shows the next call others).
     */
    private boolean makeRoom() {
        int failedSamples = 0;
        while (entries.size() >= maximumKeys) {
            if (!evictOneToMakeRoom() && ++failedSamples == EVICTION_ATTEMPTS) {
                return false;
            }
        }
        return true;
    }

    /** Under the order lock: evicts the sampled entry that is reclaimable soonest; false if none could be. */
    private boolean evictOneToMakeRoom() {
        Held<L> victim = null;
        long victimReclaimableAt = Long.MAX_VALUE;
        for (int i = Math.min(EVICTION_SAMPLE, sweepOrder.size()); i > 0; i--) {
            Held<L> next = sweepOrder.pollFirst();
            if (next.removed) {
                continue;
            }
            sweepOrder.addLast(next);
            long reclaimableAt = next.limiter.reclaimableAtNanos();
            if (reclaimableAt < victimReclaimableAt) {
                victim = next;
                victimReclaimableAt = reclaimableAt;
            }
        }
        return victim != null && evict(victim, false);
    }

    /**
     * Removes {@code held} if no one holds it and, when {@code onlyIfExpired}, it is still expired once
     * retired (a user may have taken a permit between the look and the retirement).
     */
    private boolean evict(Held<L> held, boolean onlyIfExpired) {
        if (!held.retire()) {
            return false;
        }
        long reclaimableAt = held.limiter.reclaimableAtNanos();
        if (reclaimableAt == Long.MAX_VALUE || onlyIfExpired && !isExpired(held.limiter, clock.nowNanos())) {
            held.unretire();
            return false;
        }
        entries.remove(held.key, held);
        held.removed = true;
        evictions.increment();
        return true;
    }

    private boolean isExpired(L limiter, long now) {
        long reclaimableAt = limiter.reclaimableAtNanos();
        if (reclaimableAt == Long.MAX_VALUE) {
            return false;
        }
        long idle = idleNanos.applyAsLong(specOf.apply(limiter));
        return now - reclaimableAt >= idle;
    }

    /** Waits a moment for the holder of a retired entry to move it: spins first, then yields the core. */
    private static void backOff(int attempt) {
        if (attempt < 16) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /**
     * A key's limiter, held for one use: while it is held, the key's limiter is neither evicted nor
     * replaced. Close it once, as soon as the use is over.
     *
     * @param <L> the limiter type
     */
    public static final class Held<L> implements AutoCloseable {

        private static final VarHandle USERS;
        /** Users while retired: so negative that no number of users arriving meanwhile makes it positive. */
        private static final int RETIRED = Integer.MIN_VALUE / 2;

        static {
            try {
                USERS = MethodHandles.lookup().findVarHandle(Held.class, "users", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final String key;
        private final L limiter;
        private volatile int users;
        private volatile boolean removed;

        private Held(String key, L limiter) {
            this.key = key;
            this.limiter = limiter;
        }

        /** The limiter; use it only until {@link #close}. */
        public L limiter() {
            return limiter;
        }

        /** Ends this use. */
        @Override
        public void close() {
            USERS.getAndAdd(this, -1);
        }

        /** Adds a user unless the entry is retired. */
        private boolean enter() {
            if ((int) USERS.getAndAdd(this, 1) >= 0) {
                return true;
            }
            USERS.getAndAdd(this, -1);
            return false;
        }

        /** From no users to retired: from now on nobody enters. */
        private boolean retire() {
            return USERS.compareAndSet(this, 0, RETIRED);
        }

        private void unretire() {
            USERS.getAndAdd(this, -RETIRED);
        }
    }

    /** Configures a {@link KeyedLimiters}. */
    public static final class Builder<S, L extends RateLimiter> {
        private final Function<String, S> policy;
        private final Function<S, L> factory;
        private final Function<L, S> specOf;
        private BiFunction<S, L, L> successor;
        private ToLongFunction<S> idleNanos = spec -> 0;
        private NanoClock clock = NanoClock.system();
        private int maximumKeys = 1_000_000;

        private Builder(Function<String, S> policy, Function<S, L> factory, Function<L, S> specOf) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.factory = Objects.requireNonNull(factory, "factory");
            this.specOf = Objects.requireNonNull(specOf, "specOf");
            this.successor = (spec, previous) -> factory.apply(spec);
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

        /**
         * Makes the limiter of a key whose spec changed from the new spec and the old limiter, which
         * no one uses meanwhile (default: a fresh limiter from the factory).
         */
        public Builder<S, L> successor(BiFunction<S, L, L> successor) {
            this.successor = Objects.requireNonNull(successor, "successor");
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
