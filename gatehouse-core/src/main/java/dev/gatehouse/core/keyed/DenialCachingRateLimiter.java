package dev.gatehouse.core.keyed;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.time.NanoClock;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** Remembers keys a shared store found over their limit, and denies them here until they may retry. */
final class DenialCachingRateLimiter implements KeyedRateLimiter {

    /*
     * Design: a denial whose retry time is known (a window roll, a refill) is cached with that time
     * on this node's clock, for the permits it was asked for. A request for at least as many permits
     * before then cannot succeed, so it is denied here without a round trip: a flood against one hot
     * key costs the store one call per retry time instead of one per request. A release through this
     * node drops the key's entry. The map holds at most maxKeys entries; when full, expired entries
     * are swept a bounded number at a time, and a denial that finds no room is simply not cached.
     *
     * Trade-off: a release made through another node is not seen, so a key may be denied here until
     * its cached retry time although another node freed a slot. Denials answered from the cache are
     * not counted in the store's denial counter.
     */

    private static final int SWEEP_WHEN_FULL = 64;

    private final KeyedRateLimiter store;
    private final NanoClock clock;
    private final int maxKeys;
    private final ConcurrentHashMap<String, Denial> denials = new ConcurrentHashMap<>();

    DenialCachingRateLimiter(KeyedRateLimiter store, NanoClock clock, int maxKeys) {
        this.store = store;
        this.clock = NanoClock.monotonic(clock);
        this.maxKeys = maxKeys;
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        long now = clock.nowNanos();
        Denial cached = denials.get(key);
        if (cached != null) {
            long untilRetry = cached.retryAtNanos - now;
            if (untilRetry <= 0 || !cached.spec.equals(spec)) {
                denials.remove(key, cached);
            } else if (permits >= cached.permits) {
                return CompletableFuture.completedFuture(new Decision(
                        Decision.Outcome.DENIED,
                        cached.remaining,
                        untilRetry,
                        Math.max(untilRetry, cached.resetAtNanos - now)));
            }
        }
        return store.decide(key, spec, permits).thenApply(decision -> {
            remember(key, spec, permits, decision, now);
            return decision;
        });
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        denials.remove(key);
        return store.release(key, spec, permits, lease);
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return store.snapshot(key, spec);
    }

    /** Entries held now, expired ones included until swept. */
    int size() {
        return denials.size();
    }

    private void remember(String key, LimitSpec spec, long permits, Decision decision, long now) {
        long untilRetry = decision.nanosUntilRetry();
        if (decision.allowed() || untilRetry <= 0 || untilRetry == Decision.NEVER) {
            return;
        }
        if (denials.size() >= maxKeys && sweep(now) == 0 && !denials.containsKey(key)) {
            return;
        }
        long reset = decision.nanosUntilReset();
        denials.put(
                key,
                new Denial(
                        spec,
                        permits,
                        decision.remaining(),
                        now + untilRetry,
                        reset == Decision.NEVER ? Long.MAX_VALUE : now + reset));
    }

    private int sweep(long now) {
        int removed = 0;
        Iterator<Denial> values = denials.values().iterator();
        for (int i = 0; i < SWEEP_WHEN_FULL && values.hasNext(); i++) {
            if (values.next().retryAtNanos - now <= 0) {
                values.remove();
                removed++;
            }
        }
        return removed;
    }

    private record Denial(LimitSpec spec, long permits, long remaining, long retryAtNanos, long resetAtNanos) {}
}
