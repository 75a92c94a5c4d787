package dev.gatehouse.rate;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gocc-compatible rate service without its HTTP layer: decides calls per key through the {@link
 * KeyedRateLimiter} port, lets calls wait in a bounded FIFO queue per key, keeps client overrides,
 * and describes keys for {@code /debug}.
 */
public final class RateService implements AutoCloseable {

    /*
     * Design: every decision goes through store.limiter(), so a shared store can replace the memory
     * one without touching this class or the HTTP code. What only this process can know lives here:
     * the queues of waiting calls (KeyQueue, created while a key has waiters, so idle keys cost
     * nothing here) and the client overrides (ClientOverrides, only for keys that were given one).
     * The store's idle keys and the expired overrides are swept in bounded steps on the scheduler,
     * so tests on a manual clock see eviction happen as virtual time passes.
     */

    /** Idle windows after which a key is forgotten (gocc: 3). */
    public static final int IDLE_WINDOWS = 3;

    /** How often idle keys are swept. */
    static final long SWEEP_INTERVAL_NANOS = 100_000_000L;

    /** Keys looked at per sweep, in the store and among overrides each. */
    static final int SWEEP_BATCH = 4096;

    private final RateStore store;
    private final KeyedRateLimiter limiter;
    private final Scheduler scheduler;
    private final NanoClock clock;
    private final ClientPermissions permissions;
    private final RateMetrics metrics;
    private final ConcurrentHashMap<String, KeyQueue> queues = new ConcurrentHashMap<>();
    private final ClientOverrides overrides;
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final Object sweepLock = new Object();
    private Scheduler.Task sweepTask;
    private volatile RatePolicy policy;
    private volatile boolean closed;

    private RateService(Builder builder) {
        this.policy = builder.policy;
        this.clock = builder.clock;
        this.scheduler = builder.scheduler;
        this.overrides = new ClientOverrides(builder.maxKeys);
        this.permissions = builder.permissions;
        this.store = builder.store != null
                ? builder.store
                : RateStore.inMemory(
                        clock, builder.maxKeys, key -> policy.limitsFor(key).spec());
        this.limiter = store.limiter();
        this.metrics = new RateMetrics(builder.meterRegistry, store, queues::size);
    }

    /** A builder of a service enforcing {@code policy}. */
    public static Builder builder(RatePolicy policy) {
        return new Builder(policy);
    }

    /** Decides {@code request}; the result completes when it is admitted or refused. Cancel it to leave a queue. */
    public CompletableFuture<RateVerdict> acquire(RateRequest request) {
        long startNanos = clock.nowNanos();
        long requestId = nextRequestId.getAndIncrement(); // every call takes one, as in gocc
        String key = request.key();
        RateLimits limits;
        String refusal;
        try {
            limits = limitsFor(key, request.maxRequests(), request.maxRequestsInQueue(), startNanos);
            refusal = store.refusal(limits.spec()).orElse(null);
        } catch (IllegalArgumentException e) { // an override the limiter itself cannot keep
            limits = currentLimits(key);
            refusal = e.getMessage();
        }
        CompletableFuture<RateVerdict> result;
        if (closed) {
            result = CompletableFuture.completedFuture(unavailable(requestId, limits));
        } else if (refusal != null) {
            RateLimits refused = limits;
            overrides.forget(key, refused);
            result = CompletableFuture.completedFuture(new RateVerdict(
                    RateVerdict.Outcome.REFUSED,
                    requestId,
                    limits,
                    new Decision(Decision.Outcome.DENIED, 0, Decision.NEVER, Decision.NEVER),
                    "maxRequests out of bounds for " + limits.algorithm().configName() + " over "
                            + limits.windowMillis() + " ms: " + refusal));
        } else {
            RateLimits asked = limits;
            result = request.canWait() ? joinWaiting(key, requestId, asked, startNanos) : null;
            if (result == null) {
                CompletableFuture<CompletableFuture<RateVerdict>> decided = limiter.decide(key, asked.spec(), 1)
                        .toCompletableFuture()
                        .handle((decision, error) ->
                                afterAsk(key, requestId, asked, request.canWait(), decision, error));
                result = decided.isDone() ? decided.join() : cancellable(key, decided);
            }
        }
        result.whenComplete((verdict, error) -> {
            if (verdict != null) {
                metrics.answered(verdict, clock.nowNanos() - startNanos);
            } else {
                metrics.cancelled();
            }
        });
        return result;
    }

    /** Frees one slot of {@code key}'s current window (or ends one call in flight) and lets a waiter take it. */
    public CompletableFuture<Void> release(String key) {
        return release(key, Decision.NO_LEASE);
    }

    /**
     * {@link #release(String)} of the grant {@code lease} names (a concurrency lease in a shared store;
     * {@link Decision#NO_LEASE}: one slot, by count), so a late give-back never frees another caller's.
     */
    public CompletableFuture<Void> release(String key, long lease) {
        RateLimits limits = limitsFor(key, OptionalInt.empty(), OptionalInt.empty(), clock.nowNanos());
        return limiter.release(key, limits.spec(), 1, lease)
                .toCompletableFuture()
                .thenRun(() -> {
                    KeyQueue queue = queues.get(key);
                    if (queue != null) {
                        queue.drain();
                    }
                });
    }

    /** The state of {@code key}, or empty when it holds none. */
    public CompletableFuture<Optional<KeySnapshot>> snapshot(String key) {
        RateLimits limits = limitsFor(key, OptionalInt.empty(), OptionalInt.empty(), clock.nowNanos());
        return limiter.snapshot(key, limits.spec())
                .toCompletableFuture()
                .thenApply(found -> found.map(state -> {
                    KeyQueue queue = queues.get(key);
                    long denied = queue == null
                            ? state.deniedThisWindow()
                            : queue.correctedDenials(state.deniedThisWindow(), clock.nowNanos());
                    return new KeySnapshot(key, limits, state.used(), denied, queue == null ? 0 : queue.size());
                }));
    }

    /** The state of up to {@code maxKeys} keys after {@code after} (from the first when null), in key order. */
    public CompletableFuture<Map<String, KeySnapshot>> snapshots(String after, int maxKeys) {
        List<CompletableFuture<Optional<KeySnapshot>>> pending = new ArrayList<>();
        for (String key : store.keys(after, maxKeys)) {
            pending.add(snapshot(key));
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .thenApply(done -> {
                    Map<String, KeySnapshot> result = new TreeMap<>();
                    for (CompletableFuture<Optional<KeySnapshot>> each : pending) {
                        each.join().ifPresent(snapshot -> result.put(snapshot.key(), snapshot));
                    }
                    return result;
                });
    }

    /** Replaces the policy (a reloaded key config); client overrides are dropped. */
    public void reconfigure(RatePolicy newPolicy) {
        this.policy = Require.given("newPolicy", newPolicy, "a policy");
        overrides.clear();
    }

    public RatePolicy policy() {
        return policy;
    }

    public ClientPermissions permissions() {
        return permissions;
    }

    /** Calls waiting in all queues. */
    public int waiting() {
        int total = 0;
        for (KeyQueue queue : queues.values()) {
            total += queue.size();
        }
        return total;
    }

    /** Stops sweeping and answers every waiting call as unavailable; later calls are answered so at once. */
    @Override
    public void close() {
        closed = true;
        synchronized (sweepLock) {
            if (sweepTask != null) {
                sweepTask.cancel();
            }
        }
        for (Map.Entry<String, KeyQueue> entry : queues.entrySet()) {
            entry.getValue().closeAll(unavailable(entry.getKey(), 0));
        }
    }

    // --- used by KeyQueue -------------------------------------------------------------------------

    long nowNanos() {
        return clock.nowNanos();
    }

    Scheduler scheduler() {
        return scheduler;
    }

    RateMetrics metrics() {
        return metrics;
    }

    /** Asks the port for one permit of {@code key} on behalf of its head waiter. */
    CompletableFuture<Decision> ask(String key) {
        RateLimits limits = limitsFor(key, OptionalInt.empty(), OptionalInt.empty(), clock.nowNanos());
        return limiter.decide(key, limits.spec(), 1).toCompletableFuture();
    }

    /** Returns the permit {@code grant} took for a waiter who is gone. */
    void giveBack(String key, Decision grant) {
        RateLimits limits = limitsFor(key, OptionalInt.empty(), OptionalInt.empty(), clock.nowNanos());
        limiter.release(key, limits.spec(), 1, grant.lease());
    }

    void retire(String key, KeyQueue queue) {
        queues.remove(key, queue);
    }

    RateVerdict admitted(String key, long requestId, Decision decision) {
        return new RateVerdict(RateVerdict.Outcome.ALLOWED, requestId, currentLimits(key), decision);
    }

    RateVerdict unavailable(String key, long requestId) {
        return unavailable(requestId, currentLimits(key));
    }

    // ----------------------------------------------------------------------------------------------

    private CompletableFuture<RateVerdict> joinWaiting(String key, long requestId, RateLimits limits, long nowNanos) {
        KeyQueue queue = queues.get(key);
        if (queue == null) {
            return null;
        }
        KeyQueue.Waiter waiter = new KeyQueue.Waiter(nowNanos, requestId);
        return switch (queue.offerBehind(waiter, limits.maxRequestsInQueue())) {
            case QUEUED -> watch(key, queue, waiter);
            case FULL ->
                CompletableFuture.completedFuture(new RateVerdict(
                        RateVerdict.Outcome.QUEUE_FULL, requestId, limits, queue.currentRefusal(nowNanos)));
            case NOT_QUEUED -> null;
        };
    }

    private CompletableFuture<RateVerdict> afterAsk(
            String key, long requestId, RateLimits limits, boolean canWait, Decision decision, Throwable error) {
        if (error != null) {
            return CompletableFuture.completedFuture(unavailable(requestId, limits));
        }
        if (decision.allowed()) {
            return CompletableFuture.completedFuture(
                    new RateVerdict(RateVerdict.Outcome.ALLOWED, requestId, limits, decision));
        }
        if (!canWait || decision.outcome() == Decision.Outcome.TOO_MANY_KEYS) {
            return CompletableFuture.completedFuture(
                    new RateVerdict(RateVerdict.Outcome.DENIED, requestId, limits, decision));
        }
        for (; ; ) {
            KeyQueue queue = queues.computeIfAbsent(key, k -> new KeyQueue(k, this));
            KeyQueue.Waiter waiter = new KeyQueue.Waiter(clock.nowNanos(), requestId);
            switch (queue.offerAfterRefusal(waiter, limits.maxRequestsInQueue(), decision)) {
                case QUEUED -> {
                    return watch(key, queue, waiter);
                }
                case FULL -> {
                    return CompletableFuture.completedFuture(
                            new RateVerdict(RateVerdict.Outcome.QUEUE_FULL, requestId, limits, decision));
                }
                case NOT_QUEUED -> queues.remove(key, queue); // retired meanwhile: take a fresh one
            }
        }
    }

    /**
     * The verdict {@code pending} will give, as a future whose cancellation reaches that verdict (and
     * so takes a waiter out of its queue) even when it is cancelled before the port has answered.
     */
    private CompletableFuture<RateVerdict> cancellable(
            String key, CompletableFuture<CompletableFuture<RateVerdict>> pending) {
        CompletableFuture<RateVerdict> outer = new CompletableFuture<>();
        pending.thenAccept(inner -> {
            inner.whenComplete((verdict, error) -> {
                if (verdict == null) {
                    outer.cancel(false);
                } else if (!outer.complete(verdict) && verdict.allowed()) {
                    release(key, verdict.decision().lease()); // admitted after its client went away
                }
            });
            outer.whenComplete((verdict, error) -> {
                if (outer.isCancelled()) {
                    inner.cancel(false);
                }
            });
        });
        return outer;
    }

    private CompletableFuture<RateVerdict> watch(String key, KeyQueue queue, KeyQueue.Waiter waiter) {
        waiter.result.whenComplete((verdict, error) -> {
            if (waiter.result.isCancelled()) {
                queue.remove(waiter);
            }
        });
        if (closed) {
            queue.closeAll(unavailable(key, 0)); // joined while close() was answering the others
        }
        return waiter.result;
    }

    private RateLimits currentLimits(String key) {
        return limitsFor(key, OptionalInt.empty(), OptionalInt.empty(), clock.nowNanos());
    }

    private RateLimits limitsFor(String key, OptionalInt maxRequests, OptionalInt maxInQueue, long nowNanos) {
        return overrides.limitsFor(key, policy.limitsFor(key), maxRequests, maxInQueue, nowNanos);
    }

    private static RateVerdict unavailable(long requestId, RateLimits limits) {
        return new RateVerdict(
                RateVerdict.Outcome.UNAVAILABLE,
                requestId,
                limits,
                new Decision(Decision.Outcome.CLOSED, 0, Decision.NEVER, Decision.NEVER));
    }

    private void startSweeping() {
        synchronized (sweepLock) {
            if (!closed) {
                sweepTask = scheduler.schedule(this::sweep, SWEEP_INTERVAL_NANOS);
            }
        }
    }

    /** Evicts idle keys and expired overrides, a bounded batch of each, then schedules the next sweep. */
    private void sweep() {
        store.sweep(SWEEP_BATCH);
        overrides.sweep(SWEEP_BATCH, clock.nowNanos());
        startSweeping();
    }

    /** Configures a {@link RateService}. */
    public static final class Builder {
        private final RatePolicy policy;
        private NanoClock clock = NanoClock.system();
        private Scheduler scheduler;
        private ClientPermissions permissions = new ClientPermissions(true, true, 256);
        private RateStore store;
        private int maxKeys = 1_000_000;
        private MeterRegistry meterRegistry = new SimpleMeterRegistry();

        private Builder(RatePolicy policy) {
            this.policy = Require.given("policy", policy, "a policy");
        }

        /** The clock of the memory store and of queue bookkeeping (default: the system clock). */
        public Builder clock(NanoClock clock) {
            this.clock = NanoClock.monotonic(Require.given("clock", clock, "a clock"));
            return this;
        }

        /** Runs queue wake-ups and sweeps; required. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Require.given("scheduler", scheduler, "a scheduler");
            return this;
        }

        /** What clients may override, and the longest key (default: everything, 256 bytes). */
        public Builder permissions(ClientPermissions permissions) {
            this.permissions = Require.given("permissions", permissions, "permissions");
            return this;
        }

        /** Where limiter state lives (default: this process, bounded by {@link #maxKeys}). */
        public Builder store(RateStore store) {
            this.store = Require.given("store", store, "a store");
            return this;
        }

        /** Most keys in the default memory store (default one million). */
        public Builder maxKeys(int maxKeys) {
            this.maxKeys = Require.atLeast("maxKeys", maxKeys, 1);
            return this;
        }

        /** Where the service's meters are registered (default: a registry nobody reads). */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = Require.given("meterRegistry", meterRegistry, "a registry");
            return this;
        }

        /** A service that has started sweeping idle keys. */
        public RateService build() {
            Require.given("scheduler", scheduler, "a scheduler");
            RateService service = new RateService(this);
            service.startSweeping();
            return service;
        }
    }
}
