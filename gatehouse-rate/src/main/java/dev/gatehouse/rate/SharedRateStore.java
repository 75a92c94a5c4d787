package dev.gatehouse.rate;

import dev.gatehouse.core.keyed.IdleKeyMap;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.time.NanoClock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link RateStore} over a limiter shared by every node (Redis): the state lives there and expires
 * there; this node lists the keys it has served, for {@code /debug} and the key gauge.
 */
public final class SharedRateStore implements RateStore {

    /*
     * Design: the list of served keys is an IdleKeyMap bounded by maxKeys (beyond it, new keys are
     * decided but not listed) and swept, like the memory store, its spec's idle time after a key's
     * last use. A store that enforces shares locally while the shared one is down (localShares) is
     * swept alongside.
     */

    /** A key this node served: its latest spec and use, updated in place. */
    private static final class Served extends IdleKeyMap.LastUse {
        volatile LimitSpec spec;

        Served(String key, LimitSpec spec, long lastUsedNanos) {
            super(key, lastUsedNanos);
            this.spec = spec;
        }

        @Override
        protected long idleNanos() {
            return spec.idleNanos();
        }
    }

    private final NanoClock clock;
    private final Function<LimitSpec, Optional<String>> refusal;
    private final Optional<RateStore> localShares;
    private final KeyedRateLimiter limiter;
    private final IdleKeyMap<Served> served;

    /**
     * State in {@code shared}, a limiter every node asks (Redis, behind its denial cache and
     * fallback): this node lists the keys it has served (at most {@code maxKeys}) for {@code /debug},
     * with their state from {@code shared}. {@code refusal} says why {@code shared} cannot keep a
     * spec exactly; {@code localShares}, when the fallback enforces shares in this process, is swept
     * with the list. The shared limiter's connection belongs to the caller.
     */
    public SharedRateStore(
            KeyedRateLimiter shared,
            Function<LimitSpec, Optional<String>> refusal,
            Optional<RateStore> localShares,
            NanoClock clock,
            int maxKeys) {
        this.clock = clock;
        this.served = IdleKeyMap.<Served>builder()
                .clock(clock)
                .maximumKeys(maxKeys)
                .whenFull(IdleKeyMap.WhenFull.REFUSE)
                .build();
        this.refusal = refusal;
        this.localShares = localShares;
        this.limiter = new Noting(shared);
    }

    @Override
    public Optional<String> refusal(LimitSpec spec) {
        return refusal.apply(spec);
    }

    @Override
    public KeyedRateLimiter limiter() {
        return limiter;
    }

    @Override
    public void forEachKey(Consumer<String> action) {
        served.forEach(entry -> action.accept(entry.key()));
    }

    @Override
    public int keyCount() {
        return served.size();
    }

    @Override
    public long evictions() {
        return served.evictions();
    }

    @Override
    public int sweep(int maxEntries) {
        localShares.ifPresent(shares -> shares.sweep(maxEntries));
        return served.sweep(maxEntries);
    }

    /** Notes each key it decides for, then asks the shared limiter. */
    private final class Noting implements KeyedRateLimiter {
        private final KeyedRateLimiter shared;

        Noting(KeyedRateLimiter shared) {
            this.shared = shared;
        }

        @Override
        public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
            long now = clock.nowNanos();
            Served known = served.get(key);
            if (known != null) {
                known.spec = spec;
                known.used(now);
            } else {
                served.putIfAbsent(new Served(key, spec, now)); // refused beyond the bound: decided, not listed
            }
            return failedIfThrown(() -> shared.decide(key, spec, permits));
        }

        @Override
        public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
            return failedIfThrown(() -> shared.release(key, spec, permits, lease));
        }

        @Override
        public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
            return failedIfThrown(() -> shared.snapshot(key, spec));
        }

        /** A spec the shared store refuses (see refusal) may throw at once; callers of the port expect a failed stage. */
        private static <T> CompletionStage<T> failedIfThrown(Supplier<CompletionStage<T>> call) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }
}
