package dev.gatehouse.core.degrade;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A shared store stand-in: in-memory limits that stop answering while {@link #down} is set. Like
 * the Redis limiters it keeps a lease per concurrency grant (without expiry): a release naming a
 * lease gives back that grant's permits, and nothing once the grant is gone.
 */
final class FlakyStore implements KeyedRateLimiter {

    private final KeyedRateLimiter limits;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicLong lastLease = new AtomicLong();
    private final ConcurrentHashMap<Long, Long> heldByLease = new ConcurrentHashMap<>();
    private final AtomicInteger releasesOfGoneGrants = new AtomicInteger();
    volatile boolean down;

    FlakyStore(KeyedRateLimiter limits) {
        this.limits = limits;
    }

    /** A probe for StoreHealth: throws while the store is down. */
    void probe() {
        if (down) {
            throw new IllegalStateException("store down");
        }
    }

    /** Calls that reached the store, answered or not. */
    int calls() {
        return calls.get();
    }

    /** Concurrency grants not released yet. */
    int liveLeases() {
        return heldByLease.size();
    }

    /** Releases that named a grant already given back (or never made): double frees, had they counted. */
    int releasesOfGoneGrants() {
        return releasesOfGoneGrants.get();
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return answer(() -> limits.decide(key, spec, permits).thenApply(decision -> {
            if (!(spec instanceof ConcurrencySpec) || !decision.allowed()) {
                return decision;
            }
            long lease = lastLease.incrementAndGet();
            heldByLease.put(lease, permits);
            return decision.withLease(lease);
        }));
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        return answer(() -> {
            if (lease == Decision.NO_LEASE) {
                return limits.release(key, spec, permits);
            }
            Long held = heldByLease.remove(lease);
            if (held == null) {
                releasesOfGoneGrants.incrementAndGet();
                return CompletableFuture.completedFuture(null);
            }
            if (held > permits) {
                heldByLease.put(lease, held - permits);
            }
            return limits.release(key, spec, Math.min(held, permits));
        });
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return answer(() -> limits.snapshot(key, spec));
    }

    private <T> CompletionStage<T> answer(Supplier<CompletionStage<T>> call) {
        calls.incrementAndGet();
        return down
                ? CompletableFuture.failedFuture(
                        new LimiterUnavailableException("store down", new IllegalStateException()))
                : call.get();
    }
}
