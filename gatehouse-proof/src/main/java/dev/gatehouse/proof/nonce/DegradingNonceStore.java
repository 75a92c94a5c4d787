package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.WallClock;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

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
     * Calls never block: the shared store is asked through its stage, and one that fails with
     * NonceStoreUnavailableException (at once, or later: a Redis timeout) reports the failure and is
     * answered as while degraded. The write-back is one asynchronous chain: it polls an id, writes
     * it, and takes the next when the store has answered (looping while answers come at once, so a
     * store in memory does not deepen the stack); a failed write re-queues its id and ends the
     * chain exceptionally. StoreHealth's recovery tasks are synchronous and run on its scheduler's
     * thread, which may block, so the recovery task waits for the chain there, at most
     * WRITE_BACK_WAIT: a chain still running then goes on, and the failed wait leaves the store
     * degraded until a later probe finds the queue written back.
     *
     * During the outage each node knows only its own ids: an id could be used once per node until
     * the shared store is back. Once the ids are written back, no node accepts them again. When the
     * local store or the queue is full, putIfAbsent fails closed (unavailable) rather than forget
     * an id.
     */

    /** How long StoreHealth's recovery task waits for a write-back before the next probe tries again. */
    static final Duration WRITE_BACK_WAIT = Duration.ofSeconds(5);

    private final NonceStore shared;
    private final MemoryNonceStore outageIds;
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
        this.outageIds = new MemoryNonceStore(wallClock, monotonicClock, maxOutageIds);
        health.onRecovery(this::writeBackOnRecovery);
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
    public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
        Require.given("id", id, "an id");
        if (outageIds.containsNow(id)) {
            return MemoryNonceStore.FALSE;
        }
        if (!health.healthy()) {
            return recordLocally(id, expiresAtMillis);
        }
        return askShared(() -> shared.putIfAbsent(id, expiresAtMillis), () -> recordLocally(id, expiresAtMillis));
    }

    @Override
    public CompletionStage<Boolean> contains(String id) {
        Require.given("id", id, "an id");
        if (outageIds.containsNow(id)) {
            return MemoryNonceStore.TRUE;
        }
        if (!health.healthy()) {
            return containsLocally();
        }
        return askShared(() -> shared.contains(id), this::containsLocally);
    }

    /** Ids consumed during an outage and not yet written back. */
    public int pendingWriteBack() {
        return pendingCount.get();
    }

    /**
     * Asks the shared store; when it cannot answer (at once or later), reports the failure and
     * answers by {@code whileDegraded} instead. Other failures are passed on as they are.
     */
    private CompletionStage<Boolean> askShared(
            Supplier<CompletionStage<Boolean>> ask, Supplier<CompletionStage<Boolean>> whileDegraded) {
        CompletionStage<Boolean> answer;
        try {
            answer = ask.get();
        } catch (NonceStoreUnavailableException e) { // a store that throws instead of failing the stage
            answer = CompletableFuture.failedStage(e);
        }
        return answer.exceptionallyCompose(error -> {
            Throwable cause = unwrap(error);
            if (cause instanceof NonceStoreUnavailableException) {
                health.reportFailure(cause);
                return whileDegraded.get();
            }
            return CompletableFuture.failedStage(cause);
        });
    }

    /** The shared store does not answer: records the id here and queues it for write-back, or fails closed. */
    private CompletionStage<Boolean> recordLocally(String id, long expiresAtMillis) {
        if (!localDuringOutage) {
            return CompletableFuture.failedStage(failedClosed());
        }
        if (pendingCount.incrementAndGet() > maxPending) {
            pendingCount.decrementAndGet();
            return CompletableFuture.failedStage(new NonceStoreUnavailableException(
                    "nonce store: " + maxPending + " ids await write-back (expected: fewer; raise maxOutageIds)"));
        }
        boolean first;
        try {
            first = outageIds.putIfAbsentNow(id, expiresAtMillis);
        } catch (NonceStoreUnavailableException full) { // the local store is full of live ids
            pendingCount.decrementAndGet();
            return CompletableFuture.failedStage(full);
        }
        if (!first) {
            pendingCount.decrementAndGet();
            return MemoryNonceStore.FALSE;
        }
        pending.add(new Pending(id, expiresAtMillis));
        if (health.healthy()) {
            // recovery finished between our look at the health and the add: its write-back may
            // have missed this id, so make sure another one runs
            health.reportFailure(new NonceStoreUnavailableException("an id was recorded locally during recovery"));
        }
        return MemoryNonceStore.TRUE;
    }

    /** The shared store does not answer and the local record does not have the id. */
    private CompletionStage<Boolean> containsLocally() {
        return localDuringOutage ? MemoryNonceStore.FALSE : CompletableFuture.failedStage(failedClosed());
    }

    private static NonceStoreUnavailableException failedClosed() {
        return new NonceStoreUnavailableException("nonce store: the shared store is degraded (fail closed)");
    }

    /**
     * StoreHealth's recovery task, which must return only once the write-back is done: waits for it
     * at most {@link #WRITE_BACK_WAIT}, and throws when it failed or took longer (it goes on then,
     * and a later probe finds it finished).
     */
    private void writeBackOnRecovery() {
        AwaitingNonceStore.await(writeBack(), WRITE_BACK_WAIT.toNanos());
    }

    /**
     * Writes every pending id to the shared store, one after the other; completes when the queue is
     * empty, or exceptionally, keeping the rest, when the store stops answering or another
     * write-back is under way.
     */
    private CompletionStage<Void> writeBack() {
        if (!writingBack.compareAndSet(false, true)) {
            return CompletableFuture.failedStage(
                    new IllegalStateException("nonce write-back already under way: retried after the next probe"));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        writePending(done);
        return done;
    }

    /** The write-back chain: takes the next id, writes it, and goes on when the store has answered. */
    private void writePending(CompletableFuture<Void> done) {
        for (Pending next; (next = pending.poll()) != null; ) {
            CompletableFuture<Boolean> write;
            try {
                write = shared.putIfAbsent(next.id, next.expiresAtMillis).toCompletableFuture();
            } catch (RuntimeException e) {
                write = CompletableFuture.failedFuture(e);
            }
            if (write.state() == Future.State.RUNNING) {
                Pending written = next;
                write.whenComplete((ignored, error) -> {
                    if (written(written, error, done)) {
                        writePending(done);
                    }
                });
                return; // the store's answer carries the chain on
            }
            Throwable error = switch (write.state()) {
                case SUCCESS -> null;
                case FAILED -> write.exceptionNow();
                default -> new CancellationException("nonce write-back: the store cancelled a write");
            };
            if (!written(next, error, done)) {
                return;
            }
        }
        writingBack.set(false);
        done.complete(null);
    }

    /**
     * Counts an id as written back (an answer of false means it was there already, or expired), or
     * puts it back on the queue and ends the chain with the store's failure; whether to go on.
     */
    private boolean written(Pending id, @Nullable Throwable error, CompletableFuture<Void> done) {
        if (error == null) {
            pendingCount.decrementAndGet();
            return true;
        }
        pending.add(id); // not written: the next write-back takes it
        writingBack.set(false);
        done.completeExceptionally(unwrap(error));
        return false;
    }

    private static Throwable unwrap(Throwable error) {
        return Failures.cause(error);
    }

    private record Pending(String id, long expiresAtMillis) {}
}
