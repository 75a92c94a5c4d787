package dev.gatehouse.rate;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.Scheduler;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The calls waiting on one key, first in first out, in front of the {@link RateService}'s limiter
 * port. It exists only while the key has waiters.
 */
final class KeyQueue {

    /*
     * Design: waiters are kept in an insertion-ordered set, so a client that goes away leaves in O(1)
     * and frees its place at once. At most one ask of the port is in flight per queue, for the
     * head: it is made when the last refusal's nanosUntilRetry has passed (a wake on the scheduler)
     * or when a DELETE gave a slot back. An admitted ask goes to the head and the next ask follows at
     * once, so on a window roll up to the window's maximum are released in order, each counted in
     * the new window; the first refused ask schedules the next wake. Nothing here blocks, and the
     * port may answer on any thread: drain() loops while answers are synchronous (the memory store)
     * and resumes from the answering thread otherwise.
     *
     * A DELETE that gives a slot back while the head's ask is under way sets recheck, so that a
     * refusal judged before the release is followed by another ask at once instead of a wake that
     * may never come. The state changes under this object's monitor; futures are completed and the
     * port is asked only after leaving it.
     *
     * The limiter counts every refused ask, but gocc counts a call that waits as neither approved
     * nor denied, and counts a call refused for a full queue as denied without asking anything.
     * deniedCorrection holds the difference for the window that ends at correctionUntilNanos, and
     * snapshots apply it. It is lost when the queue empties before its window ends (a DELETE
     * admitting the last waiter): then a denial too many shows until the window rolls.
     */

    /** How adding a call went. */
    enum Offer {
        QUEUED,
        FULL,
        /** The queue is retired (or, for offerBehind, empty): ask the limiter first. */
        NOT_QUEUED
    }

    /** A waiting call (compared by identity); completed with its verdict, or cancelled when its client goes away. */
    static final class Waiter {
        final CompletableFuture<RateVerdict> result = new CompletableFuture<>();
        final long joinedAtNanos;
        final long requestId;

        Waiter(long joinedAtNanos, long requestId) {
            this.joinedAtNanos = joinedAtNanos;
            this.requestId = requestId;
        }
    }

    /**
     * How soon the head asks again after a refusal that waiting alone cannot end (a concurrency
     * limit): a release made through this node wakes the queue at once, one made through another
     * node sharing the store (or a lease that ran out) is noticed this late at most.
     */
    static final long RECHECK_NANOS = 1_000_000_000L;

    private final String key;
    private final RateService service;
    private final LinkedHashSet<Waiter> waiters = new LinkedHashSet<>();
    private boolean asking;
    private boolean recheck;
    private boolean retired;
    private Scheduler.Task wake;
    private Decision lastRefusal;
    private long lastRefusalAtNanos;
    private long deniedCorrection;
    private long correctionUntilNanos;

    KeyQueue(String key, RateService service) {
        this.key = key;
        this.service = service;
    }

    /** Queues {@code waiter} behind those already waiting; never the first in line. */
    Offer offerBehind(Waiter waiter, int maxInQueue) {
        int ahead;
        synchronized (this) {
            if (retired || waiters.isEmpty()) {
                return Offer.NOT_QUEUED;
            }
            if (waiters.size() >= maxInQueue) {
                correctDenials(+1, service.nowNanos());
                return Offer.FULL;
            }
            ahead = link(waiter);
        }
        service.metrics().joined(ahead);
        return Offer.QUEUED;
    }

    /** Queues {@code waiter}, whose ask was just refused with {@code refusal}. */
    Offer offerAfterRefusal(Waiter waiter, int maxInQueue, Decision refusal) {
        int ahead;
        synchronized (this) {
            if (retired) {
                return Offer.NOT_QUEUED;
            }
            long now = service.nowNanos();
            noteRefusal(refusal, now);
            if (waiters.size() >= maxInQueue) {
                return Offer.FULL;
            }
            correctDenials(-1, now);
            ahead = link(waiter);
            if (!asking && wake == null) {
                scheduleWake(refusal.nanosUntilRetry());
            }
        }
        service.metrics().joined(ahead);
        return Offer.QUEUED;
    }

    /** Takes {@code waiter} out of the line (its client went away). */
    void remove(Waiter waiter) {
        boolean retire;
        synchronized (this) {
            if (!waiters.remove(waiter)) {
                return;
            }
            retire = retireIfIdle();
        }
        service.metrics().left(0, /* admitted= */ false);
        if (retire) {
            service.retire(key, this);
        }
    }

    /** Asks the port for the head waiter now, and goes on while it admits; see the design note. */
    void drain() {
        for (; ; ) {
            synchronized (this) {
                if (asking) {
                    recheck = true; // a slot came back while the head's ask was under way
                    return;
                }
                if (waiters.isEmpty() || retired) {
                    return;
                }
                asking = true;
                recheck = false;
                cancelWake();
            }
            CompletableFuture<Boolean> settled;
            try {
                settled = service.ask(key).handle(this::settle);
            } catch (RuntimeException e) {
                settled = CompletableFuture.completedFuture(settle(null, e));
            }
            if (!settled.isDone()) {
                settled.thenAccept(more -> {
                    if (more) {
                        drain();
                    }
                });
                return;
            }
            if (!settled.join()) {
                return;
            }
        }
    }

    /** Applies the answer to the head's ask; returns whether to ask again at once. */
    private boolean settle(Decision decision, Throwable error) {
        Waiter admitted = null;
        boolean more;
        boolean retire;
        synchronized (this) {
            asking = false;
            if (error != null || decision.allowed()) {
                admitted = waiters.isEmpty() ? null : waiters.removeFirst();
                more = !waiters.isEmpty();
            } else {
                long now = service.nowNanos();
                noteRefusal(decision, now);
                correctDenials(-1, now);
                more = recheck;
                recheck = false;
                if (!more) {
                    scheduleWake(decision.nanosUntilRetry());
                }
            }
            retire = retireIfIdle();
        }
        if (retire) {
            service.retire(key, this);
        }
        if (error != null) {
            if (admitted != null) {
                service.metrics().left(0, /* admitted= */ false);
                admitted.result.complete(service.unavailable(key, admitted.requestId));
            }
            return more;
        }
        if (!decision.allowed()) {
            return more;
        }
        if (admitted == null) {
            service.giveBack(key, decision); // every waiter left while the port was asked
            return false;
        }
        service.metrics().left(service.nowNanos() - admitted.joinedAtNanos, /* admitted= */ true);
        if (!admitted.result.complete(service.admitted(key, admitted.requestId, decision))) {
            service.giveBack(key, decision); // the client went away after it was taken off the line
        }
        return more;
    }

    /** Answers every waiter with {@code verdict} and retires the queue (shutdown). */
    void closeAll(RateVerdict verdict) {
        List<Waiter> answered;
        synchronized (this) {
            retired = true;
            cancelWake();
            answered = new ArrayList<>(waiters);
            waiters.clear();
        }
        service.retire(key, this);
        for (Waiter waiter : answered) {
            service.metrics().left(0, /* admitted= */ false);
            waiter.result.complete(verdict);
        }
    }

    synchronized int size() {
        return waiters.size();
    }

    /** The limiter's count of denials this window adjusted to gocc's meaning (see the design note). */
    synchronized long correctedDenials(long limiterDenials, long nowNanos) {
        long correction = nowNanos < correctionUntilNanos ? deniedCorrection : 0;
        return Math.max(0, limiterDenials + correction);
    }

    /** The last refusal's figures as they stand now, for a call refused without asking. */
    synchronized Decision currentRefusal(long nowNanos) {
        long elapsed = nowNanos - lastRefusalAtNanos;
        return new Decision(
                Decision.Outcome.QUEUE_FULL,
                0,
                remainingNanos(lastRefusal.nanosUntilRetry(), elapsed),
                remainingNanos(lastRefusal.nanosUntilReset(), elapsed));
    }

    private static long remainingNanos(long nanos, long elapsed) {
        return nanos == Decision.NEVER ? nanos : Math.max(0, nanos - elapsed);
    }

    private void noteRefusal(Decision refusal, long now) {
        lastRefusal = refusal;
        lastRefusalAtNanos = now;
    }

    private void correctDenials(int delta, long now) {
        long retry = lastRefusal.nanosUntilRetry();
        long windowEnd = retry == Decision.NEVER ? Long.MAX_VALUE : lastRefusalAtNanos + retry;
        if (now >= correctionUntilNanos) {
            deniedCorrection = 0;
        }
        correctionUntilNanos = Math.max(correctionUntilNanos, windowEnd);
        deniedCorrection += delta;
    }

    private void scheduleWake(long delayNanos) {
        cancelWake();
        wake = service.scheduler().schedule(this::wake, delayNanos == Decision.NEVER ? RECHECK_NANOS : delayNanos);
    }

    private void wake() {
        synchronized (this) {
            wake = null;
        }
        drain();
    }

    private void cancelWake() {
        if (wake != null) {
            wake.cancel();
            wake = null;
        }
    }

    private boolean retireIfIdle() {
        if (waiters.isEmpty() && !asking && !retired) {
            retired = true;
            cancelWake();
            return true;
        }
        return false;
    }

    private int link(Waiter waiter) {
        int ahead = waiters.size();
        waiters.add(waiter);
        return ahead;
    }
}
