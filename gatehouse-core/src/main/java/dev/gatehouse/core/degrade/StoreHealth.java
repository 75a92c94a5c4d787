package dev.gatehouse.core.degrade;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.Scheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Whether a shared store (Redis, say) answers, as seen by the adapters that use it. The first failure
 * an adapter reports marks the store degraded; from then on a probe asks the store at a fixed
 * interval, and once it answers the recovery tasks run (writing back what was decided locally
 * meanwhile) before the store counts as healthy again.
 */
public final class StoreHealth {

    /*
     * Design: one state word swapped by CAS. Only the thread that moves HEALTHY -> DEGRADED schedules
     * the first probe, so there is never more than one probe chain. A probe and the recovery tasks run
     * on the scheduler's thread and may block (they are I/O with the store's own timeout); if either
     * fails the chain schedules the next probe. Recovery tasks run again after the state turned
     * healthy, once, to catch what the last requests decided locally while the first run was under
     * way. State changes are logged and sent to listeners, each isolated from the others' failures.
     */

    private static final System.Logger LOG = System.getLogger(StoreHealth.class.getName());

    private final String storeName;
    private final Runnable probe;
    private final Scheduler scheduler;
    private final long probeIntervalNanos;
    private final AtomicReference<State> state = new AtomicReference<>(State.HEALTHY);
    private final List<Runnable> recoveryTasks = new CopyOnWriteArrayList<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final LongAdder outages = new LongAdder();

    private StoreHealth(String storeName, Runnable probe, Scheduler scheduler, long probeIntervalNanos) {
        this.storeName = storeName;
        this.probe = probe;
        this.scheduler = scheduler;
        this.probeIntervalNanos = probeIntervalNanos;
    }

    /**
     * The health of the store called {@code storeName} (for logs), probed every {@code probeInterval}
     * by {@code probe}, which returns when the store answers and throws when it does not. {@code
     * scheduler} runs the probes and recovery tasks.
     */
    public static StoreHealth create(String storeName, Runnable probe, Scheduler scheduler, Duration probeInterval) {
        return new StoreHealth(
                Require.given("storeName", storeName, "a name for logs"),
                Require.given("probe", probe, "a check that throws when the store does not answer"),
                Require.given("scheduler", scheduler, "a scheduler for probes"),
                Require.nanosAtLeast("probeInterval", probeInterval, 1));
    }

    /** The states of a store. */
    public enum State {
        /** The store answers; adapters use it. */
        HEALTHY,
        /** The store did not answer; adapters apply their fallback while a probe waits for it. */
        DEGRADED
    }

    /** Observes state changes; called on the thread that made the change. */
    @FunctionalInterface
    public interface Listener {
        /** The state changed; {@code cause} is the failure that degraded the store, null on recovery. */
        void onStateChange(State from, State to, @Nullable Throwable cause);
    }

    /** Whether the store counts as answering. */
    public boolean healthy() {
        return state.get() == State.HEALTHY;
    }

    /** The current state. */
    public State state() {
        return state.get();
    }

    /** How often the store has become degraded. */
    public long outages() {
        return outages.sum();
    }

    /** How long a probe waits after the last one failed: what callers refused meanwhile may wait. */
    public long probeIntervalNanos() {
        return probeIntervalNanos;
    }

    /** An adapter could not get an answer: marks the store degraded, if it was not already. */
    public void reportFailure(Throwable cause) {
        if (state.compareAndSet(State.HEALTHY, State.DEGRADED)) {
            outages.increment();
            LOG.log(System.Logger.Level.WARNING, "{0} does not answer, degraded until it does: {1}", storeName, cause);
            notifyListeners(State.HEALTHY, State.DEGRADED, cause);
            scheduleProbe();
        }
    }

    /**
     * Adds a task that must succeed after the store answers again and before it counts as healthy;
     * it throws when it could not finish, and then runs again after the next successful probe.
     */
    public void onRecovery(Runnable task) {
        recoveryTasks.add(Require.given("task", task, "a recovery task"));
    }

    /** Adds a listener of state changes. */
    public void addListener(Listener listener) {
        listeners.add(Require.given("listener", listener, "a listener"));
    }

    private void scheduleProbe() {
        scheduler.schedule(this::probeAndRecover, probeIntervalNanos);
    }

    private void probeAndRecover() {
        try {
            probe.run();
            recoveryTasks.forEach(Runnable::run);
        } catch (RuntimeException stillDown) {
            LOG.log(System.Logger.Level.DEBUG, "{0} still degraded: {1}", storeName, stillDown);
            scheduleProbe();
            return;
        }
        state.set(State.HEALTHY);
        LOG.log(System.Logger.Level.INFO, "{0} answers again", storeName);
        notifyListeners(State.DEGRADED, State.HEALTHY, null);
        try {
            recoveryTasks.forEach(Runnable::run);
        } catch (RuntimeException failedAgain) {
            reportFailure(failedAgain);
        }
    }

    private void notifyListeners(State from, State to, @Nullable Throwable cause) {
        for (Listener listener : listeners) {
            try {
                listener.onStateChange(from, to, cause);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "store health listener failed", e);
            }
        }
    }
}
