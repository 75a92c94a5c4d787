package dev.gatehouse.core.keyed;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.FixedWindowSpec;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.SlidingWindowSpec;
import dev.gatehouse.core.time.NanoClock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** Remembers keys a shared store found over their limit, and denies them here until they may retry. */
final class DenialCachingRateLimiter implements KeyedRateLimiter {

    /*
     * Design: a denial whose retry time is known (a window roll, a refill) is cached with that time
     * on this node's clock, for the permits it was asked for. A request for at least as many permits
     * before then cannot succeed, so it is denied here without a round trip: a flood against one hot
     * key costs the store one call per retry time instead of one per request. A release through this
     * node drops the key's entry. The denials live in an IdleKeyMap of at most maxKeys keys, each
     * forgotten at its retry time; when it is full, a new denial takes the place of an expired one
     * or, when a few samples hold none, is simply not cached.
     *
     * A denial the store computed before a release of its key must not be cached after it. Each
     * release bumps its key's release epoch, when it is called and again when the store has applied
     * it (dropping the key's entry both times); a decision remembers the epoch it started at, and its
     * denial is cached only if the epoch is unchanged, checked again after the put (a release that
     * slipped in between removes it). Epochs are striped by the key's hash, so memory stays fixed:
     * a release of another key on the same stripe only costs a denial that is not cached.
     *
     * Trade-off: a release made through another node is not seen, so a key may be denied here until
     * its cached retry time although another node freed a slot. Denials answered from the cache are
     * not sent to the store, so its denial counter misses them; snapshots add this node's count back.
     */

    private static final int RELEASE_STRIPES = 256; // a power of two

    private final KeyedRateLimiter store;
    private final NanoClock clock;
    private final IdleKeyMap<Denial> denials;
    private final AtomicLongArray releaseEpochs = new AtomicLongArray(RELEASE_STRIPES);

    DenialCachingRateLimiter(KeyedRateLimiter store, NanoClock clock, int maxKeys) {
        this.store = store;
        this.clock = NanoClock.monotonic(clock);
        this.denials = IdleKeyMap.<Denial>builder()
                .clock(this.clock)
                .maximumKeys(maxKeys)
                .whenFull(IdleKeyMap.WhenFull.REFUSE)
                .build();
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        long now = clock.nowNanos();
        Denial cached = denials.get(key);
        if (cached != null) {
            long untilRetry = cached.retryAtNanos - now;
            if (denials.isExpired(cached, now) || !cached.spec.equals(spec)) {
                denials.remove(cached);
            } else if (permits >= cached.permits) {
                cached.answered.increment();
                return CompletableFuture.completedFuture(new Decision(
                        Decision.Outcome.DENIED,
                        cached.remaining,
                        untilRetry,
                        Math.max(untilRetry, cached.resetAtNanos - now)));
            }
        }
        int stripe = stripeOf(key);
        long epoch = releaseEpochs.get(stripe);
        return store.decide(key, spec, permits).thenApply(decision -> {
            remember(key, spec, permits, decision, now, stripe, epoch);
            return decision;
        });
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        int stripe = stripeOf(key);
        releaseEpochs.incrementAndGet(stripe);
        denials.remove(key);
        return store.release(key, spec, permits, lease).whenComplete((ignored, error) -> {
            releaseEpochs.incrementAndGet(stripe); // a denial that arrived while the release travelled
            denials.remove(key);
        });
    }

    /**
     * The store's state of {@code key}, with the denials this node answered from its cache added to
     * the window's denials (for fixed and sliding windows, the only limiters that count denials), so
     * the count means the same with and without the cache.
     */
    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return store.snapshot(key, spec)
                .thenApply(found -> found.map(state -> {
                    Denial cached = denials.get(key);
                    boolean windowed = spec instanceof FixedWindowSpec || spec instanceof SlidingWindowSpec;
                    if (cached == null
                            || !windowed
                            || !cached.spec.equals(spec)
                            || denials.isExpired(cached, clock.nowNanos())) {
                        return state;
                    }
                    return new LimiterSnapshot(
                            state.spec(),
                            state.remaining(),
                            state.deniedThisWindow() + cached.answered.sum(),
                            state.waiting(),
                            state.nanosUntilReset());
                }));
    }

    /** Entries held now, expired ones included until swept. */
    int size() {
        return denials.size();
    }

    private void remember(
            String key, LimitSpec spec, long permits, Decision decision, long now, int stripe, long epoch) {
        long untilRetry = decision.nanosUntilRetry();
        if (decision.allowed() || untilRetry <= 0 || untilRetry == Decision.NEVER) {
            return;
        }
        if (releaseEpochs.get(stripe) != epoch) {
            return; // the key was released while the store decided: the denial may be stale
        }
        long reset = decision.nanosUntilReset();
        Denial denial = new Denial(
                key,
                spec,
                permits,
                decision.remaining(),
                now + untilRetry,
                reset == Decision.NEVER ? Long.MAX_VALUE : now + reset);
        if (!denials.put(denial)) {
            return; // full of denials that still hold: this one is not cached
        }
        if (releaseEpochs.get(stripe) != epoch) {
            denials.remove(denial); // a release came between the check and the put
        }
    }

    private static int stripeOf(String key) {
        int hash = key.hashCode();
        return (hash ^ (hash >>> 16)) & (RELEASE_STRIPES - 1);
    }

    /**
     * A cached denial, forgotten at its retry time; {@code answered} counts the calls denied from it
     * without asking the store.
     */
    private static final class Denial extends IdleKeyMap.Entry {
        final LimitSpec spec;
        final long permits;
        final long remaining;
        final long retryAtNanos;
        final long resetAtNanos;
        final LongAdder answered = new LongAdder();

        Denial(String key, LimitSpec spec, long permits, long remaining, long retryAtNanos, long resetAtNanos) {
            super(key);
            this.spec = spec;
            this.permits = permits;
            this.remaining = remaining;
            this.retryAtNanos = retryAtNanos;
            this.resetAtNanos = resetAtNanos;
        }

        /** Useless from its retry time on. */
        @Override
        protected long idleSinceNanos() {
            return retryAtNanos;
        }

        @Override
        protected long idleNanos() {
            return 0;
        }
    }
}
