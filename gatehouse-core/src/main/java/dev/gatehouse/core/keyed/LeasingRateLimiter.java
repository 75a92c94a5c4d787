package dev.gatehouse.core.keyed;

import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.core.time.NanoClock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A local tier in front of a global (shared) limiter: each node admits from a <em>lease</em> of
 * permits it took from the global limit in one call, so that a shared store is asked once per lease
 * instead of once per request. See {@link KeyedRateLimiter#leasing}.
 */
final class LeasingRateLimiter implements KeyedRateLimiter {

    /*
     * Design: a key's lease is the permits this node took from the global limiter and has not used
     * yet, usable until its expiry (leaseNanos after the grant). A decision takes from the lease under
     * the lease's lock; an empty or expired lease is renewed by one global call for the lease's size,
     * which every decision arriving meanwhile waits for (one call for all of them). The size adapts:
     * a lease used up within half its time doubles (up to maxLease), one that expired with more than
     * half unused halves (down to 1). A global refusal for the size is retried once for what the
     * refusal says remains, at least the permits asked; refused again, the refusal is kept until its
     * retry time and answered locally meanwhile.
     *
     * Every permit admitted here was taken from the global limit first, and none is admitted twice.
     * The only excess over the global limit is time: permits taken for one window (or from one
     * refill) may be used up to leaseNanos later, in the next; at most maxLease per key per node are
     * held at once, so over any interval the nodes admit at most the global limit's allowance for it
     * plus nodes x maxLease. Unused permits of an expired lease are given back to a token bucket (a
     * refund is the same whenever it happens); a window's are not (a release frees slots of the
     * current window, which would be another window's), so a window under-admits by at most what the
     * leases held when it rolled.
     *
     * Concurrency limits are passed to the global limiter as they are: a permit in flight is not a
     * rate, and leasing it would hold capacity nobody uses. So are requests for more permits than a
     * lease may hold, and keys past maxKeys (the map of leases is bounded).
     */

    private final KeyedRateLimiter global;
    private final NanoClock clock;
    private final long leaseNanos;
    private final long maxLease;
    private final int maxKeys;
    private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
    private long lastSweepNanos = Long.MIN_VALUE / 2; // guarded by leases

    LeasingRateLimiter(KeyedRateLimiter global, NanoClock clock, long leaseNanos, long maxLease, int maxKeys) {
        this.global = global;
        this.clock = NanoClock.monotonic(clock);
        this.leaseNanos = leaseNanos;
        this.maxLease = maxLease;
        this.maxKeys = maxKeys;
    }

    /** One key's lease; every field is guarded by the lease's own lock. */
    private static final class Lease {
        final LimitSpec spec;
        long available;
        long grantedAtNanos;
        long expiresAtNanos;
        long size = 1;
        long deniedUntilNanos;

        @Nullable
        Decision denial;

        @Nullable
        CompletableFuture<Void> renewal;

        Lease(LimitSpec spec) {
            this.spec = spec;
        }
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        if (spec instanceof ConcurrencySpec || permits > maxLease) {
            return global.decide(key, spec, permits);
        }
        Lease lease = leaseOf(key, spec);
        if (lease == null) {
            return global.decide(key, spec, permits);
        }
        return decide(key, lease, permits, true);
    }

    private CompletionStage<Decision> decide(String key, Lease lease, long permits, boolean mayWait) {
        CompletableFuture<Void> renewal;
        boolean renewHere = false;
        long size = 0;
        long unused = 0;
        synchronized (lease) {
            long now = clock.nowNanos();
            Decision denial = lease.denial;
            if (denial != null && now < lease.deniedUntilNanos) {
                return CompletableFuture.completedFuture(new Decision(
                        denial.outcome(),
                        0,
                        lease.deniedUntilNanos - now,
                        denial.nanosUntilReset(),
                        Decision.NO_LEASE));
            }
            if (now >= lease.expiresAtNanos && lease.available > 0) {
                unused = lease.available; // expired: given back below (to a bucket), never used here
                lease.available = 0;
                if (unused * 2 > lease.size) {
                    lease.size = Math.max(1, lease.size / 2);
                }
            }
            if (lease.available >= permits) {
                lease.available -= permits;
                if (lease.available == 0 && now - lease.grantedAtNanos < leaseNanos / 2) {
                    // used up fast: a larger lease next, never more than the limit holds
                    lease.size = Math.min(Math.min(maxLease, lease.spec.limit()), lease.size * 2);
                }
                return CompletableFuture.completedFuture(
                        new Decision(Decision.Outcome.ALLOWED, lease.available, 0, Decision.NEVER, Decision.NO_LEASE));
            }
            renewal = lease.renewal;
            if (renewal == null && mayWait) {
                renewal = new CompletableFuture<>();
                lease.renewal = renewal;
                renewHere = true;
                size = Math.max(permits, lease.size);
            }
        }
        giveBack(key, lease.spec, unused);
        if (renewal == null) { // renewed once already and still short: the global limiter decides these alone
            return global.decide(key, lease.spec, permits);
        }
        if (renewHere) {
            renew(key, lease, size, renewal);
        }
        return renewal.thenCompose(renewed -> decide(key, lease, permits, false));
    }

    /**
     * Takes a lease of {@code size} permits (or what remains, at least 1) from the global limiter,
     * then completes {@code renewal}, which the decisions waiting for it await.
     */
    private void renew(String key, Lease lease, long size, CompletableFuture<Void> renewal) {
        CompletionStage<Decision> asked;
        try {
            asked = global.decide(key, lease.spec, size);
        } catch (RuntimeException e) { // a limiter that throws (a spec it refuses): the renewal ends all the same
            asked = CompletableFuture.failedFuture(e);
        }
        asked.thenCompose(granted -> {
                    if (granted.allowed() || granted.remaining() < 1 || granted.remaining() >= size) {
                        return CompletableFuture.completedFuture(new Grant(granted, size));
                    }
                    long rest = granted.remaining();
                    return global.decide(key, lease.spec, rest).thenApply(second -> new Grant(second, rest));
                })
                .whenComplete((grant, failure) -> {
                    synchronized (lease) {
                        lease.renewal = null;
                        if (grant != null) { // else the global limiter failed: the waiting decisions ask it themselves
                            long now = clock.nowNanos();
                            if (grant.decision().allowed()) {
                                lease.available += grant.permits();
                                lease.grantedAtNanos = now;
                                lease.expiresAtNanos = now + leaseNanos;
                                lease.denial = null;
                            } else if (grant.decision().nanosUntilRetry() != Decision.NEVER) {
                                lease.denial = grant.decision();
                                lease.deniedUntilNanos = now + grant.decision().nanosUntilRetry();
                            }
                        }
                    }
                    renewal.complete(null);
                });
    }

    private record Grant(Decision decision, long permits) {}

    /** Unused permits of an expired lease, given back to a token bucket (see the design note). */
    private void giveBack(String key, LimitSpec spec, long unused) {
        if (unused > 0 && spec instanceof TokenBucketSpec) {
            global.release(key, spec, unused);
        }
    }

    /** The key's lease for {@code spec} (a new one when the spec changed); null when the map is full. */
    private @Nullable Lease leaseOf(String key, LimitSpec spec) {
        Lease lease = leases.get(key);
        if (lease != null && lease.spec.equals(spec)) {
            return lease;
        }
        if (lease == null && leases.size() >= maxKeys && !forgetIdle()) {
            return null;
        }
        Lease fresh = new Lease(spec);
        if (lease == null) {
            Lease raced = leases.putIfAbsent(key, fresh);
            return raced == null ? fresh : raced.spec.equals(spec) ? raced : null;
        }
        return leases.replace(key, lease, fresh) ? fresh : null;
    }

    /**
     * Forgets leases with nothing left to use and no denial or renewal pending (at most once per lease
     * time, a pass over the map); whether there is room now.
     */
    private boolean forgetIdle() {
        long now = clock.nowNanos();
        synchronized (leases) {
            if (now - lastSweepNanos < leaseNanos) {
                return leases.size() < maxKeys;
            }
            lastSweepNanos = now;
        }
        leases.values().removeIf(lease -> {
            synchronized (lease) {
                return lease.renewal == null
                        && (lease.available == 0 || now >= lease.expiresAtNanos)
                        && (lease.denial == null || now >= lease.deniedUntilNanos);
            }
        });
        return leases.size() < maxKeys;
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        return global.release(key, spec, permits, lease);
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        return global.snapshot(key, spec);
    }
}
