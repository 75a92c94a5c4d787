package dev.gatehouse.rate;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.wait.WaitQueue;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The gocc-compatible rate service without its HTTP layer: decides calls per key through the {@link
 * KeyedRateLimiter} port, lets calls wait in a bounded FIFO queue per key, keeps client overrides,
 * and describes keys for {@code /debug}.
 */
public final class RateService implements AutoCloseable {

    /*
     * Design: every decision goes through store.limiter(), so a shared store can replace the memory
     * one without touching this class or the HTTP code. What only this process can know lives here:
     * the calls waiting per key (core's WaitQueue in front of the port, which keeps a line only while
     * a key has waiters, asks with the key's current limits and gives back a grant its caller left)
     * and the client overrides (ClientOverrides, only for keys that were given one). Every call goes
     * through the queue, the ones that may not wait too (they ask once, ahead of any waiters, as in
     * gocc), so a grant that arrives after its client went away is given back in one place.
     *
     * gocc counts a waiting call as neither approved nor denied, and a call refused for a full queue
     * as denied; the store counts refused asks. The queue's listener tells DenialCorrections the
     * difference, and snapshots apply it. The store's idle keys, the expired overrides and expired
     * corrections are swept in bounded steps on the scheduler, so tests on a manual clock see
     * eviction happen as virtual time passes.
     */

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
    private final WaitQueue queue;
    private final DenialCorrections denialCorrections;
    private final ClientOverrides overrides;
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final Object sweepLock = new Object();
    private Scheduler.@Nullable Task sweepTask;
    private volatile RatePolicy policy;
    private volatile boolean closed;

    private RateService(Builder builder, Scheduler scheduler) {
        this.policy = builder.policy;
        this.clock = builder.clock;
        this.scheduler = scheduler;
        this.overrides = new ClientOverrides(clock, builder.maxKeys);
        this.permissions = builder.permissions;
        this.store = builder.store != null
                ? builder.store
                : new MemoryRateStore(
                        clock, builder.maxKeys, key -> policy.limitsFor(key).spec());
        this.limiter = store.limiter();
        this.queue = WaitQueue.builder(limiter, scheduler)
                .clock(clock)
                .currentSpec(key -> currentLimits(key).spec())
                .listener(new QueueListener())
                .build();
        this.denialCorrections = new DenialCorrections(clock, builder.maxKeys, queue::waiting);
        this.metrics = new RateMetrics(builder.meterRegistry, store, queue::lines);
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
            CompletableFuture<Decision> decided = request.canWait()
                    ? queue.acquire(key, limits.spec(), 1, limits.maxRequestsInQueue(), Long.MAX_VALUE)
                    : queue.decide(key, limits.spec(), 1);
            result = verdictOf(key, requestId, limits, decided);
        }
        if (result.isDone() && !result.isCompletedExceptionally()) { // most calls: no stage to chain
            metrics.answered(result.join(), clock.nowNanos() - startNanos);
            return result;
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
        return queue.release(key, limits.spec(), 1, lease).toCompletableFuture();
    }

    /** The state of {@code key}, or empty when it holds none. */
    public CompletableFuture<Optional<KeySnapshot>> snapshot(String key) {
        RateLimits limits = limitsFor(key, OptionalInt.empty(), OptionalInt.empty(), clock.nowNanos());
        return limiter.snapshot(key, limits.spec())
                .toCompletableFuture()
                .thenApply(found -> found.map(state -> {
                    long denied = denialCorrections.corrected(key, state.deniedThisWindow(), clock.nowNanos());
                    return new KeySnapshot(key, limits, state.used(), denied, queue.waiting(key));
                }));
    }

    /** The state of up to {@code maxKeys} keys after {@code after} (from the first when null), in key order. */
    public CompletableFuture<Map<String, KeySnapshot>> snapshots(@Nullable String after, int maxKeys) {
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
        return queue.waiting();
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
        queue.close();
    }

    /**
     * The verdict on {@code requestId}'s call of {@code key}, asked with {@code limits}, once the queue
     * has {@code decided}. Cancelling it cancels {@code decided}: the call leaves its queue, and a
     * grant that arrives after is given back by the queue.
     */
    private CompletableFuture<RateVerdict> verdictOf(
            String key, long requestId, RateLimits limits, CompletableFuture<Decision> decided) {
        if (decided.isDone()) {
            return CompletableFuture.completedFuture(
                    decided.isCompletedExceptionally()
                            ? unavailable(requestId, limits)
                            : verdict(key, requestId, limits, decided.join(), /* later= */ false));
        }
        CompletableFuture<RateVerdict> verdict = decided.handle((decision, error) -> {
            if (decided.isCancelled()) {
                return null; // by the verdict's own cancellation
            }
            return error != null
                    ? unavailable(requestId, currentLimits(key))
                    : verdict(key, requestId, limits, decision, /* later= */ true);
        });
        verdict.whenComplete((done, error) -> {
            if (verdict.isCancelled() && !decided.cancel(false) && !decided.isCompletedExceptionally()) {
                // granted between the queue's decision and the verdict (another event loop's release
                // ran the queue): the queue no longer holds it, so it is given back here
                Decision granted = decided.join();
                if (granted.allowed()) {
                    release(key, granted.lease());
                }
            }
        });
        return verdict;
    }

    /**
     * The verdict for {@code decision}; a call admitted {@code later} (after waiting, or after a
     * shared store's round trip) carries the key's limits as they are then.
     */
    private RateVerdict verdict(String key, long requestId, RateLimits asked, Decision decision, boolean later) {
        return switch (decision.outcome()) {
            case ALLOWED ->
                new RateVerdict(RateVerdict.Outcome.ALLOWED, requestId, later ? currentLimits(key) : asked, decision);
            case DENIED, TOO_MANY_KEYS, TIMED_OUT -> // TIMED_OUT never: calls here wait without a timeout
                new RateVerdict(RateVerdict.Outcome.DENIED, requestId, asked, decision);
            case QUEUE_FULL -> new RateVerdict(RateVerdict.Outcome.QUEUE_FULL, requestId, asked, decision);
            case CLOSED -> unavailable(0, currentLimits(key)); // answered by the shutdown
        };
    }

    /** Counts waiting calls for the meters, and keeps gocc's count of denials. */
    private final class QueueListener implements WaitQueue.Listener {
        @Override
        public void joined(String key, int ahead) {
            metrics.joined(ahead);
        }

        @Override
        public void left(String key, long waitedNanos, boolean admitted) {
            metrics.left(waitedNanos, admitted);
        }

        @Override
        public void refusedWhileWaiting(String key, Decision refusal) {
            denialCorrections.refusedWhileWaiting(key, refusal, clock.nowNanos());
        }

        @Override
        public void turnedAway(String key, Decision answer) {
            denialCorrections.turnedAway(key, answer, clock.nowNanos());
        }
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

    /** Evicts idle keys, expired overrides and corrections, a bounded batch of each, then schedules the next sweep. */
    private void sweep() {
        try {
            store.sweep(SWEEP_BATCH);
            overrides.sweep(SWEEP_BATCH);
            denialCorrections.sweep(SWEEP_BATCH);
        } finally {
            startSweeping(); // a failed step must not end sweeping for good
        }
    }

    /** Configures a {@link RateService}. */
    public static final class Builder {
        private final RatePolicy policy;
        private NanoClock clock = NanoClock.system();
        private @Nullable Scheduler scheduler;
        private ClientPermissions permissions = new ClientPermissions(true, true, 256);
        private @Nullable RateStore store;
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

        /** Runs queue wake-ups, rechecks of concurrency keys (every second) and sweeps; required. */
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
            RateService service = new RateService(this, Require.given("scheduler", scheduler, "a scheduler"));
            service.startSweeping();
            return service;
        }
    }
}
