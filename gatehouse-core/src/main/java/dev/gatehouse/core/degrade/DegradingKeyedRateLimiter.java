package dev.gatehouse.core.degrade;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A {@link KeyedRateLimiter} on a shared store that keeps deciding when the store does not answer,
 * by an explicit {@link Fallback}. Its stages never complete exceptionally because of the store.
 *
 * <p>Permits go back to whoever granted them, whatever the store's health when they are released:
 * grants made by the fallback carry a negative {@link Decision#lease() lease} (the bitwise
 * complement of the fallback limiter's own lease, so {@code -1} when it keeps none), and a release
 * naming such a lease goes to the fallback. The store's leases must not be negative.
 */
public final class DegradingKeyedRateLimiter implements KeyedRateLimiter {

    /*
     * Design: while the store is healthy every decision goes to it, and a call that fails with
     * LimiterUnavailableException reports the failure (degrading the store for every adapter that
     * shares its StoreHealth) and is answered by the fallback instead. While degraded, decisions go
     * straight to the fallback, so an outage costs no time-outs; StoreHealth's probe brings the store
     * back.
     *
     * A release is routed by the lease it names, not by the health at release time:
     * - negative: the fallback granted it. The local share gets it back (with its own lease, ~lease);
     *   fail-open took nothing anywhere, so nothing is given back.
     * - positive: the store granted it. While the store is degraded (or the release fails as
     *   unavailable) the release is queued and sent when the store answers again: as a StoreHealth
     *   recovery task, and at once by the caller that queued it if the store is back by then. A
     *   lease names one grant and frees nothing once that grant is gone, so a release sent late, or
     *   twice after a time-out that hid its success, frees no other holder's permit. Each queued
     *   release is taken off the queue before it is sent and put back if sending fails, so
     *   overlapping senders never send one twice. At most MAX_QUEUED_RELEASES wait; beyond that a
     *   release is dropped and logged, and the store frees the grant when its lease ends.
     * - NO_LEASE: the caller names no grant, or the store keeps no leases (windows, buckets): the
     *   release follows the health, as decisions do. Trade-off: such a permit may be given back to
     *   the side that did not grant it; a window or bucket forgets that within a window or a
     *   refill, a concurrency limit until the key's permits are all released (pass the lease).
     */

    /** How many releases of the store's grants may wait, by default, for the store to answer again. */
    public static final int MAX_QUEUED_RELEASES = 10_000;

    private static final System.Logger LOG = System.getLogger(DegradingKeyedRateLimiter.class.getName());
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    /** The lease of a fail-open grant: ~NO_LEASE, a fallback grant that took nothing. */
    private static final long FAIL_OPEN_LEASE = ~Decision.NO_LEASE;

    private final KeyedRateLimiter store;
    private final StoreHealth health;
    private final Fallback fallback;
    private final ConcurrentLinkedQueue<QueuedRelease> queued = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedCount = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final AtomicBoolean dropLogged = new AtomicBoolean();

    private DegradingKeyedRateLimiter(KeyedRateLimiter store, StoreHealth health, Fallback fallback) {
        this.store = store;
        this.health = health;
        this.fallback = fallback;
        health.onRecovery(this::sendQueuedReleasesOnRecovery);
    }

    /** Decides in {@code store} while {@code health} says it answers, and by {@code fallback} otherwise. */
    public static DegradingKeyedRateLimiter create(KeyedRateLimiter store, StoreHealth health, Fallback fallback) {
        return new DegradingKeyedRateLimiter(
                Require.given("store", store, "a limiter on a shared store"),
                Require.given("health", health, "the store's health"),
                Require.given("fallback", fallback, "a fallback policy"));
    }

    /** The policy applied while the store is degraded. */
    public Fallback fallback() {
        return fallback;
    }

    /** Releases of the store's grants waiting for the store to answer again. */
    public int queuedReleases() {
        return queuedCount.get();
    }

    /** Releases of the store's grants dropped because too many were waiting (their leases free them). */
    public long droppedReleases() {
        return dropped.sum();
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return withFallback(
                () -> store.decide(key, spec, permits).thenApply(DegradingKeyedRateLimiter::fromStore),
                /* report= */ true,
                () -> fallbackDecision(key, spec, permits));
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        if (lease < 0) {
            return releaseToFallback(key, spec, permits, ~lease);
        }
        if (lease == Decision.NO_LEASE) {
            return withFallback(
                    () -> store.release(key, spec, permits, Decision.NO_LEASE),
                    /* report= */ true,
                    () -> releaseToFallback(key, spec, permits, Decision.NO_LEASE));
        }
        return withFallback(
                () -> store.release(key, spec, permits, lease),
                /* report= */ true,
                () -> queue(new QueuedRelease(key, spec, permits, lease)));
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        // a snapshot is for operators: its failure (a burst of /debug, say) does not degrade decisions
        return withFallback(
                () -> store.snapshot(key, spec),
                /* report= */ false,
                () -> switch (fallback) {
                    case Fallback.Local local -> local.limiter().snapshot(key, local.shareOf(spec));
                    case Fallback.FailOpen open -> CompletableFuture.completedFuture(Optional.<LimiterSnapshot>empty());
                    case Fallback.FailClosed closed ->
                        CompletableFuture.completedFuture(Optional.<LimiterSnapshot>empty());
                });
    }

    private static Decision fromStore(Decision decision) {
        if (decision.lease() < 0) {
            throw new IllegalStateException("store lease: " + decision.lease()
                    + " (expected: >= 0, negative leases mark the fallback's grants)");
        }
        return decision;
    }

    private CompletionStage<Decision> fallbackDecision(String key, LimitSpec spec, long permits) {
        return switch (fallback) {
            case Fallback.Local local ->
                local.limiter()
                        .decide(key, local.shareOf(spec), permits)
                        .thenApply(decision -> decision.allowed() ? decision.withLease(~decision.lease()) : decision);
            case Fallback.FailOpen open ->
                CompletableFuture.completedFuture(
                        new Decision(Decision.Outcome.ALLOWED, spec.limit(), 0, 0, FAIL_OPEN_LEASE));
            case Fallback.FailClosed closed ->
                CompletableFuture.completedFuture(
                        new Decision(Decision.Outcome.DENIED, 0, health.probeIntervalNanos(), Decision.NEVER));
        };
    }

    private CompletionStage<Void> releaseToFallback(String key, LimitSpec spec, long permits, long fallbackLease) {
        return switch (fallback) {
            case Fallback.Local local -> local.limiter().release(key, local.shareOf(spec), permits, fallbackLease);
            case Fallback.FailOpen open -> DONE; // nothing was taken
            case Fallback.FailClosed closed -> DONE; // grants nothing
        };
    }

    /** Keeps a release of the store's grant until the store answers; sends it at once if it already does. */
    private CompletionStage<Void> queue(QueuedRelease release) {
        if (queuedCount.incrementAndGet() > MAX_QUEUED_RELEASES) {
            queuedCount.decrementAndGet();
            dropped.increment();
            System.Logger.Level level =
                    dropLogged.compareAndSet(false, true) ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
            LOG.log(
                    level,
                    "{0} releases already wait for the store: a release is dropped, its lease frees it there",
                    MAX_QUEUED_RELEASES);
            return DONE;
        }
        queued.add(release);
        if (health.healthy()) {
            // the store came back after this release was refused and may have sent the queue already
            sendQueuedReleases().whenComplete((ignored, error) -> {
                if (error != null) {
                    health.reportFailure(unwrap(error));
                }
            });
        }
        return DONE;
    }

    /** StoreHealth's recovery task: returns once every queued release was sent; throws if the store failed. */
    private void sendQueuedReleasesOnRecovery() {
        try {
            sendQueuedReleases().join();
        } catch (CompletionException e) {
            throw unwrap(e) instanceof RuntimeException failure ? failure : e;
        }
    }

    /**
     * Sends every queued release, all at once; completes when each has been answered, exceptionally
     * with the store's LimiterUnavailableException if any could not be sent (those are queued again,
     * for the next recovery: the queue is taken before anything is sent, so a store that refuses at
     * once is not asked again in a loop).
     */
    private CompletableFuture<Void> sendQueuedReleases() {
        List<QueuedRelease> taken = new ArrayList<>();
        for (QueuedRelease next; (next = queued.poll()) != null; ) {
            queuedCount.decrementAndGet();
            taken.add(next);
        }
        if (queuedCount.get() == 0) {
            dropLogged.set(false);
        }
        List<CompletableFuture<Void>> sent = new ArrayList<>(taken.size());
        taken.forEach(release -> sent.add(send(release)));
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> send(QueuedRelease release) {
        CompletionStage<Void> answer;
        try {
            answer = store.release(release.key, release.spec, release.permits, release.lease);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.toCompletableFuture().handle((ignored, error) -> {
            if (error == null) {
                return null;
            }
            Throwable cause = unwrap(error);
            if (cause instanceof LimiterUnavailableException unavailable) {
                queuedCount.incrementAndGet(); // it held a place a moment ago: no bound to check
                queued.add(release);
                throw unavailable;
            }
            LOG.log(System.Logger.Level.WARNING, "the store refused a queued release, dropped: {0}", cause);
            return null;
        });
    }

    /**
     * Asks the store while it is healthy, the fallback otherwise or when the store does not answer;
     * {@code report}: whether such a failure degrades the store for every call.
     */
    private <T> CompletionStage<T> withFallback(
            Supplier<CompletionStage<T>> fromStore, boolean report, Supplier<CompletionStage<T>> fromFallback) {
        if (!health.healthy()) {
            return fromFallback.get();
        }
        CompletionStage<T> stored;
        try {
            stored = fromStore.get();
        } catch (LimiterUnavailableException e) {
            if (report) {
                health.reportFailure(e);
            }
            return fromFallback.get();
        }
        return stored.handle((value, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(value);
                    }
                    Throwable cause = unwrap(error);
                    if (cause instanceof LimiterUnavailableException) {
                        if (report) {
                            health.reportFailure(cause);
                        }
                        return fromFallback.get();
                    }
                    return CompletableFuture.<T>failedFuture(cause);
                })
                .thenCompose(stage -> stage);
    }

    private static Throwable unwrap(Throwable error) {
        return Failures.cause(error);
    }

    private record QueuedRelease(String key, LimitSpec spec, long permits, long lease) {}
}
