package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.WallClock;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link NonceStore} on a shared store that keeps ids single-use through the store's outages:
 * either it refuses to decide (fail closed) or it records ids in this process meanwhile and writes
 * them back to the shared store when it answers again, so an id used once during an outage cannot
 * be used again after it.
 */
public final class DegradingNonceStore implements NonceStore {

    /*
     * Design: ids consumed during an outage go to a bounded local store and to a write-back queue.
     * StoreHealth runs the write-back as a recovery task before the shared store counts as healthy,
     * and once more just after, for ids consumed while the first run was under way. Until an id's
     * retention is over, the local store is asked first in every state, so an id consumed during the
     * outage is refused on this node even before its write-back has landed. An id recorded locally
     * just as recovery finished (the store looked degraded, then turned healthy before the id was
     * queued) marks the store degraded again, so that one more write-back runs for it.
     *
     * A write-back takes an id off the queue before writing it and puts it back if the write fails,
     * and only one write-back runs at a time: StoreHealth runs one after a probe and once more after
     * recovery, and a second probe chain (started when the store failed again meanwhile) could start
     * another beside it. One that finds another under way fails at once, so its chain probes again
     * later instead of declaring the store healthy while ids are still being written.
     *
     * During the outage each node knows only its own ids: an id could be used once per node until
     * the shared store is back. Once the ids are written back, no node accepts them again. When the
     * local store or the queue is full, putIfAbsent fails closed (unavailable) rather than forget
     * an id.
     */

    private final NonceStore shared;
    private final NonceStore outageIds;
    private final StoreHealth health;
    private final boolean localDuringOutage;
    private final int maxPending;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final AtomicBoolean writingBack = new AtomicBoolean();

    private DegradingNonceStore(
            NonceStore shared,
            StoreHealth health,
            boolean localDuringOutage,
            WallClock wallClock,
            NanoClock monotonicClock,
            int maxOutageIds) {
        this.shared = shared;
        this.health = health;
        this.localDuringOutage = localDuringOutage;
        this.maxPending = maxOutageIds;
        this.outageIds = NonceStore.inMemory(wallClock, monotonicClock, maxOutageIds);
        health.onRecovery(this::writeBack);
    }

    /**
     * While {@code shared} is degraded, records up to {@code maxOutageIds} ids in this process
     * (judged by {@code wallClock}, kept as {@link NonceStore#inMemory} keeps them) and writes them
     * back to {@code shared} on recovery.
     */
    public static DegradingNonceStore localDuringOutage(
            NonceStore shared, StoreHealth health, WallClock wallClock, NanoClock monotonicClock, int maxOutageIds) {
        Require.given("wallClock", wallClock, "a wall clock");
        Require.given("monotonicClock", monotonicClock, "a monotonic clock, such as NanoClock.system()");
        return new DegradingNonceStore(
                Require.given("shared", shared, "a shared nonce store"),
                Require.given("health", health, "the shared store's health"),
                true,
                wallClock,
                monotonicClock,
                Require.atLeast("maxOutageIds", maxOutageIds, 1));
    }

    /** While {@code shared} is degraded, answers nothing: {@link NonceStoreUnavailableException}. */
    public static DegradingNonceStore failClosed(NonceStore shared, StoreHealth health) {
        return new DegradingNonceStore(
                Require.given("shared", shared, "a shared nonce store"),
                Require.given("health", health, "the shared store's health"),
                false,
                WallClock.system(),
                NanoClock.system(),
                1);
    }

    @Override
    public boolean putIfAbsent(String id, long expiresAtMillis) {
        Require.given("id", id, "an id");
        if (outageIds.contains(id)) {
            return false;
        }
        if (health.healthy()) {
            try {
                return shared.putIfAbsent(id, expiresAtMillis);
            } catch (NonceStoreUnavailableException e) {
                health.reportFailure(e);
            }
        }
        if (!localDuringOutage) {
            throw new NonceStoreUnavailableException("nonce store: the shared store is degraded (fail closed)");
        }
        if (pendingCount.incrementAndGet() > maxPending) {
            pendingCount.decrementAndGet();
            throw new NonceStoreUnavailableException(
                    "nonce store: " + maxPending + " ids await write-back (expected: fewer; raise maxOutageIds)");
        }
        boolean first;
        try {
            first = outageIds.putIfAbsent(id, expiresAtMillis);
        } catch (RuntimeException e) { // the local store is full of live ids
            pendingCount.decrementAndGet();
            throw e;
        }
        if (!first) {
            pendingCount.decrementAndGet();
            return false;
        }
        pending.add(new Pending(id, expiresAtMillis));
        if (health.healthy()) {
            // recovery finished between our look at the health and the add: its write-back may
            // have missed this id, so make sure another one runs
            health.reportFailure(new NonceStoreUnavailableException("an id was recorded locally during recovery"));
        }
        return true;
    }

    @Override
    public boolean contains(String id) {
        if (outageIds.contains(id)) {
            return true;
        }
        if (health.healthy()) {
            try {
                return shared.contains(id);
            } catch (NonceStoreUnavailableException e) {
                health.reportFailure(e);
            }
        }
        if (!localDuringOutage) {
            throw new NonceStoreUnavailableException("nonce store: the shared store is degraded (fail closed)");
        }
        return false;
    }

    /** Ids consumed during an outage and not yet written back. */
    public int pendingWriteBack() {
        return pendingCount.get();
    }

    /**
     * Writes every pending id to the shared store; throws, keeping the rest, when it stops answering
     * or when another write-back is under way (StoreHealth then tries again after its next probe).
     */
    private void writeBack() {
        if (!writingBack.compareAndSet(false, true)) {
            throw new IllegalStateException("nonce write-back already under way: retried after the next probe");
        }
        try {
            for (Pending next; (next = pending.poll()) != null; ) {
                try {
                    shared.putIfAbsent(next.id, next.expiresAtMillis); // false: already there, or expired
                } catch (RuntimeException e) {
                    pending.add(next); // not written: the next write-back takes it
                    throw e;
                }
                pendingCount.decrementAndGet();
            }
        } finally {
            writingBack.set(false);
        }
    }

    private record Pending(String id, long expiresAtMillis) {}
}
