package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/** A {@link WaitingLimiter} keeping its waiters in an intrusive doubly linked list. */
final class FifoWaitingLimiter implements WaitingLimiter {

    /*
     * Design: all queue changes happen under one lock and only decide; futures are completed after
     * the lock is released, so callbacks of callers never run under it. At most one wake-up is
     * scheduled, for when the head waiter's permits are due (window roll, token refill); releases and
     * cancellations of the head drain the queue at once. A limiter that cannot say when capacity
     * returns (concurrency) is drained by releases only.
     *
     * The fast path (nobody waiting, permits available) takes no lock: `size` is read first, and a
     * race with a waiter that is being queued at that moment only lets one request be granted beside
     * it, never ahead of a waiter that is already queued.
     *
     * No wake-up may be lost. release() frees permits without the lock and then drains only if it
     * sees a waiter, so a waiter that becomes the head asks the limiter once more after it is linked
     * (a release that came between its denied decision and the link is seen by that second ask, or
     * it saw the waiter and drains). A granted waiter whose client left hands its permits back
     * through release(), which drains for the next one.
     */

    private final RateLimiter limiter;
    private final int maxWaiters;
    private final Scheduler scheduler;
    private final ReentrantLock lock = new ReentrantLock();
    private Waiter head;
    private Waiter tail;
    private volatile int size;
    private Scheduler.Task wakeUp;
    private boolean closed;

    FifoWaitingLimiter(RateLimiter limiter, int maxWaiters, Scheduler scheduler) {
        this.limiter = limiter;
        this.maxWaiters = maxWaiters;
        this.scheduler = scheduler;
    }

    @Override
    public CompletableFuture<Decision> acquire(long permits, long timeoutNanos) {
        Require.atLeast("permits", permits, 1);
        Require.atLeast("timeoutNanos", timeoutNanos, 0);
        Decision immediate;
        Waiter waiter = null;
        lock.lock();
        try {
            immediate = admitOrQueue(permits, timeoutNanos);
            if (immediate == null) {
                waiter = new Waiter(permits);
                link(waiter);
                if (waiter == head) {
                    immediate = askAgainAsNewHead(waiter);
                }
            }
        } finally {
            lock.unlock();
        }
        if (immediate != null) {
            return CompletableFuture.completedFuture(immediate);
        }
        if (timeoutNanos != Long.MAX_VALUE) {
            Waiter timed = waiter;
            waiter.timeout = scheduler.schedule(() -> timeOut(timed), timeoutNanos);
        }
        return waiter;
    }

    /** Under the lock: the decision to answer at once, or null to queue (scheduling a wake-up). */
    private Decision admitOrQueue(long permits, long timeoutNanos) {
        if (closed) {
            return new Decision(Decision.Outcome.CLOSED, 0, Decision.NEVER, Decision.NEVER);
        }
        if (head != null) {
            if (size >= maxWaiters
                    || timeoutNanos == 0
                    || permits > limiter.spec().limit()) {
                return queueFull(permits);
            }
            return null;
        }
        Decision decision = limiter.decide(permits);
        if (decision.allowed()) {
            return decision;
        }
        if (maxWaiters == 0
                || timeoutNanos == 0
                || decision.nanosUntilRetry() == Decision.NEVER
                        && permits > limiter.spec().limit()) {
            return decision.withOutcome(maxWaiters == 0 ? Decision.Outcome.QUEUE_FULL : Decision.Outcome.DENIED);
        }
        scheduleWakeUp(decision.nanosUntilRetry());
        return null;
    }

    /**
     * Under the lock, right after {@code waiter} was linked as the head: asks again, so that a release
     * made between the first denied decision and the link is not lost (that release saw no waiter
     * and did not drain). Returns the decision if the waiter is granted after all (it is unlinked).
     */
    private Decision askAgainAsNewHead(Waiter waiter) {
        Decision decision = limiter.decide(waiter.permits);
        if (!decision.allowed()) {
            return null;
        }
        unlink(waiter);
        cancelWakeUp();
        return decision;
    }

    private Decision queueFull(long permits) {
        LimiterSnapshot state = limiter.snapshot();
        long retry = permits > state.spec().limit() ? Decision.NEVER : state.nanosUntilReset();
        return new Decision(Decision.Outcome.QUEUE_FULL, 0, retry, state.nanosUntilReset());
    }

    @Override
    public boolean tryAcquire(long permits) {
        return size == 0 && limiter.tryAcquire(permits);
    }

    @Override
    public Decision decide(long permits) {
        if (size != 0) {
            Require.atLeast("permits", permits, 1);
            return queueFull(permits).withOutcome(Decision.Outcome.DENIED);
        }
        return limiter.decide(permits);
    }

    @Override
    public void release(long permits) {
        limiter.release(permits);
        if (size != 0) {
            drain();
        }
    }

    @Override
    public int waiting() {
        return size;
    }

    @Override
    public LimitSpec spec() {
        return limiter.spec();
    }

    @Override
    public LimiterSnapshot snapshot() {
        return limiter.snapshot().withWaiting(size);
    }

    @Override
    public long reclaimableAtNanos() {
        return size != 0 ? Long.MAX_VALUE : limiter.reclaimableAtNanos();
    }

    @Override
    public void close() {
        List<Waiter> dropped = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            cancelWakeUp();
            for (Waiter waiter = head; waiter != null; waiter = waiter.next) {
                dropped.add(waiter);
            }
            head = tail = null;
            size = 0;
        } finally {
            lock.unlock();
        }
        Decision closedDecision = new Decision(Decision.Outcome.CLOSED, 0, Decision.NEVER, Decision.NEVER);
        for (Waiter waiter : dropped) {
            waiter.finish(closedDecision);
        }
    }

    /**
     * Grants waiters from the head for as long as the limiter allows, then schedules the next wake-up.
     * Permits granted to a waiter that was cancelled meanwhile go back through {@link #release}, which
     * drains again for the waiters behind it.
     */
    private void drain() {
        List<Waiter> granted = null;
        List<Decision> decisions = null;
        lock.lock();
        try {
            cancelWakeUp();
            while (head != null) {
                Decision decision = limiter.decide(head.permits);
                if (!decision.allowed()) {
                    scheduleWakeUp(decision.nanosUntilRetry());
                    break;
                }
                if (granted == null) {
                    granted = new ArrayList<>();
                    decisions = new ArrayList<>();
                }
                granted.add(head);
                decisions.add(decision);
                unlink(head);
            }
        } finally {
            lock.unlock();
        }
        if (granted != null) {
            for (int i = 0; i < granted.size(); i++) {
                Waiter waiter = granted.get(i);
                if (!waiter.finish(decisions.get(i))) {
                    release(waiter.permits); // cancelled between grant and completion
                }
            }
        }
    }

    private void timeOut(Waiter waiter) {
        leave(waiter, new Decision(Decision.Outcome.TIMED_OUT, 0, Decision.NEVER, Decision.NEVER));
    }

    /**
     * Takes {@code waiter} out of the queue if it is still in it, answers it with {@code answer} (none
     * when it was cancelled), and lets the next waiter move up if it was the head.
     */
    private void leave(Waiter waiter, Decision answer) {
        boolean wasHead;
        lock.lock();
        try {
            if (!waiter.linked) {
                return;
            }
            wasHead = waiter == head;
            unlink(waiter);
        } finally {
            lock.unlock();
        }
        if (answer != null) {
            waiter.finish(answer);
        } else {
            waiter.cancelTimeout();
        }
        if (wasHead) {
            drain();
        }
    }

    private void scheduleWakeUp(long delayNanos) {
        if (delayNanos != Decision.NEVER) {
            wakeUp = scheduler.schedule(this::drain, delayNanos);
        }
    }

    private void cancelWakeUp() {
        if (wakeUp != null) {
            wakeUp.cancel();
            wakeUp = null;
        }
    }

    private void link(Waiter waiter) {
        waiter.linked = true;
        waiter.previous = tail;
        if (tail == null) {
            head = waiter;
        } else {
            tail.next = waiter;
        }
        tail = waiter;
        size++;
    }

    private void unlink(Waiter waiter) {
        if (waiter.previous == null) {
            head = waiter.next;
        } else {
            waiter.previous.next = waiter.next;
        }
        if (waiter.next == null) {
            tail = waiter.previous;
        } else {
            waiter.next.previous = waiter.previous;
        }
        waiter.previous = waiter.next = null;
        waiter.linked = false;
        size--;
    }

    /** A queued request; it is its own future so that cancelling it leaves the queue. */
    private final class Waiter extends CompletableFuture<Decision> {
        final long permits;
        Waiter previous;
        Waiter next;
        boolean linked;
        volatile Scheduler.Task timeout;

        Waiter(long permits) {
            this.permits = permits;
        }

        boolean finish(Decision decision) {
            cancelTimeout();
            return complete(decision);
        }

        void cancelTimeout() {
            Scheduler.Task task = timeout;
            if (task != null) {
                task.cancel();
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                leave(this, null);
            }
            return cancelled;
        }
    }
}
