package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Limiters per key, created on demand from a policy (key to spec) and a factory (spec to limiter),
 * evicted when idle, and bounded in number so that a flood of distinct keys cannot exhaust memory.
 * A limiter is used through {@link #hold}: while held it is neither evicted nor replaced.
 *
 * @param <S> the per-key configuration; equal values mean "unchanged" on {@link #reconfigure}
 * @param <L> the limiter type
 */
public final class LimiterRegistry<S, L extends RateLimiter> {

    /*
     * Design: a map from key to a Held entry, which wraps the limiter with a count of its current
     * users. Using a limiter is: look the entry up, add one user (one atomic add), decide,
     * remove the user. Eviction and replacement first retire the entry: one CAS from "no users" to
     * "retired", which no later user can pass, so a limiter is never used after it was judged idle,
     * and its state is never copied while a decision is under way. A user that meets a retired entry
     * looks the key up again. Idleness is asked of the limiter: reclaimableAtNanos() says from when it
     * is indistinguishable from a fresh one (a full bucket, a past window, nothing in flight, nobody
     * waiting).
     *
     * The entries live in an IdleKeyMap, which keeps them in sweep order and bounds their number: a
     * sweep costs in proportion to the keys looked at, whatever the table grew to during a flood.
     * The map claims an entry before it forgets it, and the claim is the retirement above; an entry
     * is idle from its limiter's reclaimable time. A key past the bound takes the place of the
     * sampled entry that would be forgotten soonest, even within its idle time (WhenFull.FORGET_SOONEST:
     * the idle time only spares a key its re-creation); when every sampled entry is busy (work in
     * flight, waiters) in a few samples, the new key is refused instead of exceeding the bound, and
     * the refusal is counted.
     *
     * A key whose spec changes (reconfiguration, an override) gets a new limiter that takes over the
     * old one's use (permits in flight, window counts), so a change of limit never forgets calls that
     * are already counted.
     */

    private final IdleKeyMap<Held<L>> entries;
    private final Function<S, L> factory;
    private final BiFunction<S, L, L> successor;
    private final Function<L, S> specOf;
    private final ToLongFunction<L> idleNanosOf;
    private volatile Function<String, S> policy;

    private LimiterRegistry(Builder<S, L> builder) {
        this.policy = builder.policy;
        this.factory = builder.factory;
        this.successor = builder.successor;
        this.specOf = builder.specOf;
        ToLongFunction<S> idleNanos = builder.idleNanos;
        this.idleNanosOf = limiter -> idleNanos.applyAsLong(specOf.apply(limiter));
        this.entries = IdleKeyMap.<Held<L>>builder()
                .clock(builder.clock)
                .maximumKeys(builder.maximumKeys)
                .whenFull(IdleKeyMap.WhenFull.FORGET_SOONEST)
                .build();
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
    public @Nullable Held<L> hold(String key) {
        for (int attempt = 0; ; attempt++) {
            Held<L> held = entries.get(key);
            if (held == null) {
                return create(key, null);
            }
            if (held.enter()) {
                return held;
            }
            Backoff.pause(attempt);
        }
    }

    /**
     * Holds a limiter of {@code key} for {@code spec}: the key's own if its spec is equal, otherwise a
     * new one that takes over the old one's use. This is how per-key overrides are applied; they last
     * until the key is evicted or the registry is reconfigured. Returns null as {@link #hold(String)}
     * does.
     */
    public @Nullable Held<L> hold(String key, S spec) {
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
            Backoff.pause(attempt);
        }
    }

    /** Holds the limiter of {@code key} if it has one (never creates one); null otherwise. Close it when done. */
    public @Nullable Held<L> holdExisting(String key) {
        for (int attempt = 0; ; attempt++) {
            Held<L> held = entries.get(key);
            if (held == null || held.enter()) {
                return held;
            }
            Backoff.pause(attempt);
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
        entries.forEach(entry -> {
            String key = entry.key();
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
                Backoff.pause(attempt);
            }
        });
    }

    /** Number of keys with a limiter. */
    public int size() {
        return entries.size();
    }

    /** Keys evicted so far, for being idle or to stay within the bound. */
    public long evictions() {
        return entries.evictions();
    }

    /** New keys refused so far because the registry was full of keys that could not be evicted. */
    public long refusals() {
        return entries.refusals();
    }

    /** The state of {@code key}'s limiter, if it has one. */
    public Optional<LimiterSnapshot> snapshot(String key) {
        Held<L> held = entries.get(key);
        return held == null ? Optional.empty() : Optional.of(held.limiter.snapshot());
    }

    /** The state of every limiter, by key in key order. Costs a pass over all keys. */
    public Map<String, LimiterSnapshot> snapshot() {
        Map<String, LimiterSnapshot> result = new TreeMap<>();
        entries.forEach(held -> result.put(held.key(), held.limiter.snapshot()));
        return result;
    }

    /** Calls {@code action} for every key and its limiter, without copying. */
    public void forEach(BiConsumer<String, L> action) {
        entries.forEach(held -> action.accept(held.key(), held.limiter));
    }

    /**
     * Looks at up to {@code maxEntries} keys, continuing where the last look stopped, and evicts those
     * that have been reclaimable for their idle time. Returns how many were evicted; returns 0 at once
     * if another thread is sweeping or inserting.
     */
    public int sweep(int maxEntries) {
        return entries.sweep(maxEntries);
    }

    /** Creates {@code key}'s entry (for {@code spec}, or from the policy when null) and holds it; null if full. */
    private @Nullable Held<L> create(String key, @Nullable S spec) {
        // the policy and the factory are the caller's code: they run before the map's lock, never under it
        S chosen = spec != null ? spec : Objects.requireNonNull(policy.apply(key), "policy returned no spec");
        Held<L> fresh = new Held<>(key, factory.apply(chosen), idleNanosOf);
        for (int attempt = 0; ; attempt++) {
            Held<L> kept = entries.putIfAbsent(fresh);
            if (kept == fresh || kept == null) {
                return kept; // inserted (held by its creator), or refused
            }
            if (kept.enter()) {
                return kept; // another thread created it meanwhile (an override then replaces it)
            }
            Backoff.pause(attempt); // retired: being replaced or evicted; look again
        }
    }

    /**
     * Gives {@code held}'s key a limiter for {@code spec} taking over the old one's use, and holds it.
     * Returns null when {@code held} is in use or already retired: the caller looks the key up again.
     */
    private @Nullable Held<L> replace(Held<L> held, S spec) {
        if (!held.retire()) {
            return null;
        }
        Held<L> fresh = new Held<>(held.key(), successor.apply(spec, held.limiter), idleNanosOf);
        entries.replace(held, fresh); // the retired entry stays until here: only its retirer moves it
        return fresh;
    }

    /**
     * A key's limiter, held for one use: while it is held, the key's limiter is neither evicted nor
     * replaced. Close it once, as soon as the use is over.
     *
     * @param <L> the limiter type
     */
    public static final class Held<L extends RateLimiter> extends IdleKeyMap.Entry implements AutoCloseable {

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

        private final L limiter;
        private final ToLongFunction<L> idleNanosOf;
        private volatile int users = 1; // held by its creator until it closes it

        private Held(String key, L limiter, ToLongFunction<L> idleNanosOf) {
            super(key);
            this.limiter = limiter;
            this.idleNanosOf = idleNanosOf;
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

        /** Idle from when its limiter is reclaimable ({@link Long#MAX_VALUE} while work is in flight). */
        @Override
        protected long idleSinceNanos() {
            return limiter.reclaimableAtNanos();
        }

        @Override
        protected long idleNanos() {
            return idleNanosOf.applyAsLong(limiter);
        }

        /** The map claims an entry by retiring it: possible only while nobody holds it. */
        @Override
        protected boolean claim() {
            return retire();
        }

        @Override
        protected void unclaim() {
            unretire();
        }
    }

    /** Configures a {@link LimiterRegistry}. */
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

        public LimiterRegistry<S, L> build() {
            return new LimiterRegistry<>(this);
        }
    }
}
