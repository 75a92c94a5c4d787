package dev.gatehouse.core.wait;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** A {@link WaitQueue} keeping each key's waiters in an intrusive doubly linked list. */
final class FifoWaitQueue implements WaitQueue {

    /*
     * Design: a key has a Line only while calls wait in it or an ask for its head is under way, so
     * idle keys cost nothing here. A line's state changes under its lock, which only decides: the
     * limiter is asked, futures are completed and listeners are told after it is released.
     *
     * At most one ask of the limiter is under way per line, for its head (`draining`). It is made when
     * the last refusal's nanosUntilRetry has passed (a wake on the scheduler; after a NEVER, the
     * recheck interval), when permits come back on this node, or when a head leaves and the one
     * behind it asks for fewer permits. A grant goes to the head and the next ask follows at once, so
     * when a window rolls up to its maximum are admitted in order, each counted in the new window; the
     * first refusal schedules the next wake. The drain loops while the limiter answers synchronously
     * (a memory store) and resumes on the answering thread otherwise.
     *
     * No wake-up may be lost. Permits that come back while the head's ask is under way set askAgain,
     * so a refusal judged before they came back is followed by another ask at once instead of a wake
     * that may never come. A call's first ask is made before it has a line, so a return then finds
     * nothing to wake: every return also bumps a counter (one of RETURN_STRIPES, by the key's hash),
     * and a call that is refused and becomes the head of its line asks again at once if its stripe
     * moved since its ask began. A return bumps before it looks for the line, and a call links before
     * it reads the stripe, so one of the two always sees the other. Stripes shared by several keys
     * cost at most an extra ask, never a missed one.
     *
     * A grant is given back in one place, Waiter.admit: a call that is no longer there to take its
     * permits (it was cancelled, timed out or closed while its ask was under way, or between being
     * taken off the line and being completed) refuses the grant by having completed already. When the
     * head the limiter was asked for left during the ask, the grant goes to the new head if it asked
     * for the same permits under the same spec, and back otherwise.
     */

    private static final System.Logger LOG = System.getLogger(WaitQueue.class.getName());

    private static final int RETURN_STRIPES = 64;
    // a completed ask holds a decision or an error; with no error, the port promises a decision
    private static final String NO_ANSWER = "the limiter completed with neither a decision nor an error";
    private static final Decision CLOSED = new Decision(Decision.Outcome.CLOSED, 0, Decision.NEVER, Decision.NEVER);
    private static final Decision TIMED_OUT =
            new Decision(Decision.Outcome.TIMED_OUT, 0, Decision.NEVER, Decision.NEVER);

    private final KeyedRateLimiter limiter;
    private final Scheduler scheduler;
    private final NanoClock clock;
    private final Listener listener;
    private final @Nullable Function<String, LimitSpec> currentSpec;
    private final long recheckNanos;
    private final ConcurrentHashMap<String, Line> lines = new ConcurrentHashMap<>();
    private final AtomicLongArray returns = new AtomicLongArray(RETURN_STRIPES);
    private volatile boolean closed;

    FifoWaitQueue(Builder builder) {
        this.limiter = builder.limiter;
        this.scheduler = builder.scheduler;
        this.clock = builder.clock;
        this.listener = builder.listener;
        this.currentSpec = builder.currentSpec;
        this.recheckNanos = builder.recheckNanos;
    }

    @Override
    public CompletableFuture<Decision> acquire(
            String key, LimitSpec spec, long permits, int maxWaiters, long timeoutNanos) {
        Waiter waiter = new Waiter(
                Require.given("key", key, "a key"),
                Require.given("spec", spec, "a spec"),
                Require.atLeast("permits", permits, 1),
                Require.atLeast("maxWaiters", maxWaiters, 0),
                Require.atLeast("timeoutNanos", timeoutNanos, 0));
        if (closed) {
            waiter.complete(CLOSED);
            return waiter;
        }
        Line line = lines.get(key);
        if (line != null && joinBehind(line, waiter)) {
            return waiter;
        }
        long returnsSeen = returns.get(stripe(key));
        whenAnswered(ask(key, spec, permits), (decision, error) -> firstAnswer(waiter, returnsSeen, decision, error));
        return waiter;
    }

    @Override
    public CompletableFuture<Decision> decide(String key, LimitSpec spec, long permits) {
        Waiter call = new Waiter(
                Require.given("key", key, "a key"),
                Require.given("spec", spec, "a spec"),
                Require.atLeast("permits", permits, 1),
                0,
                0);
        if (closed) {
            call.complete(CLOSED);
            return call;
        }
        whenAnswered(ask(key, spec, permits), (decision, error) -> {
            if (error != null) {
                call.completeExceptionally(error);
            } else if (requireNonNull(decision, NO_ANSWER).allowed()) {
                call.admit(decision, spec);
            } else {
                call.complete(decision);
            }
        });
        return call;
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        CompletableFuture<Void> released;
        try {
            released = limiter.release(key, spec, permits, lease).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return released.thenRun(() -> permitsReturned(key));
    }

    @Override
    public void permitsReturned(String key) {
        returns.incrementAndGet(stripe(key));
        Line line = lines.get(key);
        if (line != null) {
            drain(line);
        }
    }

    @Override
    public int waiting(String key) {
        Line line = lines.get(key);
        return line == null ? 0 : line.size;
    }

    @Override
    public int waiting() {
        int total = 0;
        for (Line line : lines.values()) {
            total += line.size;
        }
        return total;
    }

    @Override
    public int lines() {
        return lines.size();
    }

    @Override
    public void close() {
        closed = true;
        for (Line line : lines.values()) {
            List<Waiter> answered = new ArrayList<>();
            long now = clock.nowNanos();
            line.lock.lock();
            try {
                for (Waiter waiter = line.head; waiter != null; waiter = line.head) {
                    line.unlink(waiter);
                    answered.add(waiter);
                }
                line.retire();
            } finally {
                line.lock.unlock();
            }
            for (Waiter waiter : answered) {
                tellLeft(line.key, now - waiter.joinedAtNanos, /* admitted= */ false);
                waiter.finish(CLOSED);
            }
        }
    }

    // --- joining ---------------------------------------------------------------------------------

    /**
     * Puts {@code waiter} behind the calls waiting in {@code line} without asking the limiter, or turns
     * it away when the line is full; returns false when nobody waits there (the limiter is asked first).
     */
    @SuppressWarnings("ReferenceEquality") // CLOSED is a sentinel
    private boolean joinBehind(Line line, Waiter waiter) {
        Decision answer = null;
        int ahead = 0;
        line.lock.lock();
        try {
            if (line.retired || line.size == 0) {
                return false;
            }
            long now = clock.nowNanos();
            if (closed) {
                answer = CLOSED;
            } else if (line.size >= waiter.maxWaiters
                    || waiter.timeoutNanos == 0
                    || waiter.permits > waiter.spec.limit()) {
                answer = line.agedRefusal(now, /* neverByWaiting= */ waiter.permits > waiter.spec.limit());
            } else {
                ahead = line.link(waiter, now);
            }
        } finally {
            line.lock.unlock();
        }
        if (answer == null) {
            entered(waiter, ahead);
        } else {
            if (answer != CLOSED) {
                tellTurnedAway(waiter.key, answer);
            }
            waiter.complete(answer);
        }
        return true;
    }

    /** The limiter's answer to a call's first ask: admitted, answered, or joining the line. */
    private void firstAnswer(Waiter waiter, long returnsSeen, @Nullable Decision decision, @Nullable Throwable error) {
        if (error != null) {
            waiter.completeExceptionally(error);
        } else if (requireNonNull(decision, NO_ANSWER).allowed()) {
            waiter.admit(decision, waiter.spec);
        } else if (waiter.isDone()) {
            return; // the call left while the limiter decided
        } else if (decision.outcome() != Decision.Outcome.DENIED) {
            waiter.complete(decision);
        } else if (waiter.maxWaiters == 0) {
            waiter.complete(decision.withOutcome(Decision.Outcome.QUEUE_FULL));
        } else if (waiter.timeoutNanos == 0 || waiter.permits > waiter.spec.limit()) {
            waiter.complete(decision);
        } else {
            joinAfterRefusal(waiter, returnsSeen, decision);
        }
    }

    private void joinAfterRefusal(Waiter waiter, long returnsSeen, Decision refusal) {
        for (; ; ) {
            Line line = lines.computeIfAbsent(waiter.key, key -> new Line(key, refusal));
            Decision answer = null;
            int ahead = -1;
            boolean askNow = false;
            line.lock.lock();
            try {
                if (line.retired) {
                    continue; // emptied meanwhile: take a fresh one
                }
                long now = clock.nowNanos();
                line.noteRefusal(refusal, now);
                if (closed) {
                    answer = CLOSED;
                } else if (line.size >= waiter.maxWaiters) {
                    answer = refusal.withOutcome(Decision.Outcome.QUEUE_FULL);
                } else if (!waiter.isDone()) { // else it left while the limiter decided
                    ahead = line.link(waiter, now);
                    if (ahead == 0 && !line.draining) {
                        // a return since the ask began found no line to wake: ask again now
                        askNow = returns.get(stripe(waiter.key)) != returnsSeen;
                        if (!askNow) {
                            line.scheduleWake(refusal.nanosUntilRetry());
                        }
                    }
                }
                if (ahead < 0) {
                    line.retireIfIdle();
                }
            } finally {
                line.lock.unlock();
            }
            if (ahead >= 0) {
                tellRefusedWhileWaiting(waiter.key, refusal);
                entered(waiter, ahead);
                if (askNow) {
                    drain(line);
                }
            } else if (answer != null) {
                waiter.complete(answer);
            }
            return;
        }
    }

    /** After {@code waiter} was linked: tells the listener, starts its timeout, and catches a cancel that raced the link. */
    private void entered(Waiter waiter, int ahead) {
        tellJoined(waiter.key, ahead);
        if (waiter.timeoutNanos != Long.MAX_VALUE) {
            waiter.timeout = scheduler.schedule(() -> leave(waiter, TIMED_OUT), waiter.timeoutNanos);
            if (waiter.isDone()) {
                waiter.cancelTimeout();
            }
        }
        if (waiter.isCancelled()) {
            leave(waiter, null); // cancelled before its line was set: its own cancel could not leave
        }
    }

    /**
     * Takes {@code waiter} out of its line if it is still there, answering it with {@code answer}
     * (none when it was cancelled); if it was the head and the next asks for fewer permits, asks now.
     */
    private void leave(Waiter waiter, @Nullable Decision answer) {
        Line line = waiter.line;
        if (line == null) {
            return;
        }
        boolean askNow;
        long waitedNanos;
        line.lock.lock();
        try {
            if (!waiter.linked) {
                return;
            }
            boolean wasHead = line.head == waiter;
            line.unlink(waiter);
            waitedNanos = clock.nowNanos() - waiter.joinedAtNanos;
            askNow = wasHead && line.head != null && line.head.permits < waiter.permits;
            line.retireIfIdle();
        } finally {
            line.lock.unlock();
        }
        tellLeft(line.key, waitedNanos, /* admitted= */ false);
        if (answer != null) {
            waiter.finish(answer);
        } else {
            waiter.cancelTimeout();
        }
        if (askNow) {
            drain(line);
        }
    }

    // --- draining --------------------------------------------------------------------------------

    /** Asks for {@code line}'s head now, unless an ask is under way (then it asks again after that one). */
    private void drain(Line line) {
        line.lock.lock();
        try {
            if (line.draining) {
                line.askAgain = true;
                return;
            }
            if (line.retired || line.size == 0) {
                return;
            }
            line.draining = true;
        } finally {
            line.lock.unlock();
        }
        runDrain(line);
    }

    /** Asks for the head and goes on while the limiter grants; the caller owns {@code line.draining}. */
    private void runDrain(Line line) {
        for (; ; ) {
            Waiter head;
            line.lock.lock();
            try {
                head = line.head;
                if (line.retired || head == null) { // no head: nobody waits (size 0)
                    line.draining = false;
                    line.retireIfIdle();
                    return;
                }
                line.askAgain = false;
                line.cancelWake();
            } finally {
                line.lock.unlock();
            }
            LimitSpec spec;
            CompletableFuture<Decision> answer;
            try {
                spec = currentSpec == null ? head.spec : currentSpec.apply(line.key);
                answer = ask(line.key, spec, head.permits);
            } catch (RuntimeException e) {
                spec = head.spec;
                answer = CompletableFuture.failedFuture(e);
            }
            if (!answer.isDone()) {
                LimitSpec asked = spec;
                whenAnswered(answer, (decision, error) -> {
                    if (settle(line, head, asked, decision, error)) {
                        runDrain(line);
                    }
                });
                return;
            }
            boolean more;
            if (answer.state() == Future.State.SUCCESS) {
                more = settle(line, head, spec, answer.resultNow(), null);
            } else {
                more = settle(line, head, spec, null, failure(answer));
            }
            if (!more) {
                return;
            }
        }
    }

    /**
     * Applies the answer to the ask made for {@code asked} under {@code spec}; returns whether to ask
     * again at once (then the caller still owns {@code line.draining}).
     */
    private boolean settle(
            Line line, Waiter asked, LimitSpec spec, @Nullable Decision decision, @Nullable Throwable error) {
        Waiter taker = null;
        long waitedNanos = 0;
        boolean more;
        line.lock.lock();
        try {
            long now = clock.nowNanos();
            if (error != null || requireNonNull(decision, NO_ANSWER).allowed()) {
                if (asked.linked) {
                    taker = asked;
                } else if (error == null
                        && line.head != null
                        && line.head.permits == asked.permits
                        && line.head.spec.equals(asked.spec)) {
                    taker = line.head; // the head asked for left meanwhile: the next one takes its grant
                }
                if (taker != null) {
                    line.unlink(taker);
                    waitedNanos = now - taker.joinedAtNanos;
                }
                more = line.size != 0;
            } else {
                line.noteRefusal(decision, now);
                more = line.askAgain || (!asked.linked && line.head != null && line.head.permits < asked.permits);
                if (!more && line.size != 0) {
                    line.scheduleWake(decision.nanosUntilRetry());
                }
            }
            if (!more) {
                line.draining = false;
                line.retireIfIdle();
            }
        } finally {
            line.lock.unlock();
        }
        if (error != null) {
            if (taker != null) {
                tellLeft(line.key, waitedNanos, /* admitted= */ false);
                taker.fail(error);
            }
        } else if (!requireNonNull(decision, NO_ANSWER).allowed()) {
            tellRefusedWhileWaiting(line.key, decision);
        } else if (taker != null) {
            tellLeft(line.key, waitedNanos, /* admitted= */ true);
            taker.admit(decision, spec);
        } else {
            asked.admit(decision, spec); // it left and nobody can take its grant: refused, so given back
        }
        return more;
    }

    // --- the limiter -----------------------------------------------------------------------------

    private CompletableFuture<Decision> ask(String key, LimitSpec spec, long permits) {
        try {
            return limiter.decide(key, spec, permits).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Gives back the grant of a call that was not there to take it; then the line may ask again. */
    private void giveBack(String key, LimitSpec spec, long permits, long lease) {
        release(key, spec, permits, lease).whenComplete((done, error) -> {
            if (error != null) {
                LOG.log(
                        System.Logger.Level.DEBUG,
                        "could not give back a grant for a call that left; it lapses with its window or lease",
                        error);
            }
        });
    }

    /** Runs {@code then} with the answer of {@code answer} (unwrapped): at once when it is complete. */
    private static void whenAnswered(
            CompletableFuture<Decision> answer, BiConsumer<@Nullable Decision, @Nullable Throwable> then) {
        if (answer.isDone()) {
            if (answer.state() == Future.State.SUCCESS) {
                then.accept(answer.resultNow(), null);
            } else {
                then.accept(null, failure(answer));
            }
            return;
        }
        answer.whenComplete((decision, error) -> then.accept(decision, unwrap(error)));
    }

    private static Throwable failure(CompletableFuture<?> failed) {
        return failed.isCancelled()
                ? new CancellationException("the limiter's answer was cancelled")
                : failed.exceptionNow();
    }

    private static @Nullable Throwable unwrap(@Nullable Throwable error) {
        return error == null ? null : Failures.cause(error);
    }

    private static int stripe(String key) {
        int hash = key.hashCode();
        return (hash ^ (hash >>> 16)) & (RETURN_STRIPES - 1);
    }

    // --- listener, isolated ----------------------------------------------------------------------

    private void tellJoined(String key, int ahead) {
        try {
            listener.joined(key, ahead);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "wait queue listener failed on a join", e);
        }
    }

    private void tellLeft(String key, long waitedNanos, boolean admitted) {
        try {
            listener.left(key, waitedNanos, admitted);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "wait queue listener failed on a leave", e);
        }
    }

    private void tellRefusedWhileWaiting(String key, Decision refusal) {
        try {
            listener.refusedWhileWaiting(key, refusal);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "wait queue listener failed on a refusal", e);
        }
    }

    private void tellTurnedAway(String key, Decision answer) {
        try {
            listener.turnedAway(key, answer);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "wait queue listener failed on a full line", e);
        }
    }

    // --- state -----------------------------------------------------------------------------------

    /** The calls waiting on one key, in arrival order. Guarded by {@link #lock} unless noted. */
    private final class Line {
        final String key;
        final ReentrantLock lock = new ReentrantLock();

        @Nullable
        Waiter head;

        @Nullable
        Waiter tail;

        volatile int size; // read without the lock by waiting()
        boolean draining;
        boolean askAgain;
        boolean retired;

        @Nullable
        Wake wake;

        Decision lastRefusal;
        long lastRefusalAtNanos;

        /** A line is made for a call the limiter refused: {@code refusal} until the next is noted. */
        Line(String key, Decision refusal) {
            this.key = key;
            this.lastRefusal = refusal;
        }

        /** Links {@code waiter} at the tail; returns how many wait ahead of it. */
        int link(Waiter waiter, long nowNanos) {
            int ahead = size;
            waiter.linked = true;
            waiter.joinedAtNanos = nowNanos;
            waiter.previous = tail;
            if (tail == null) {
                head = waiter;
            } else {
                tail.next = waiter;
            }
            tail = waiter;
            size = ahead + 1;
            waiter.line = this;
            return ahead;
        }

        @SuppressWarnings("NonAtomicVolatileUpdate") // size changes under the line's lock only; volatile for waiting()
        void unlink(Waiter waiter) {
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
            size = size - 1;
        }

        void noteRefusal(Decision refusal, long nowNanos) {
            lastRefusal = refusal;
            lastRefusalAtNanos = nowNanos;
        }

        /** The last refusal's figures as they stand now, for a call turned away without asking. */
        Decision agedRefusal(long nowNanos, boolean neverByWaiting) {
            long elapsed = nowNanos - lastRefusalAtNanos;
            return new Decision(
                    Decision.Outcome.QUEUE_FULL,
                    0,
                    neverByWaiting ? Decision.NEVER : remainingNanos(lastRefusal.nanosUntilRetry(), elapsed),
                    remainingNanos(lastRefusal.nanosUntilReset(), elapsed));
        }

        void scheduleWake(long delayNanos) {
            cancelWake();
            long delay = delayNanos == Decision.NEVER ? recheckNanos : delayNanos;
            if (delay != Decision.NEVER && !retired) {
                Wake next = new Wake(this);
                wake = next;
                next.task = scheduler.schedule(next, delay);
            }
        }

        void cancelWake() {
            Wake current = wake;
            if (current != null) {
                Scheduler.Task task = current.task;
                if (task != null) { // null only if scheduling it threw
                    task.cancel();
                }
                wake = null;
            }
        }

        void retireIfIdle() {
            if (size == 0 && !draining && !retired) {
                retire();
            }
        }

        void retire() {
            retired = true;
            cancelWake();
            lines.remove(key, this);
        }
    }

    private static long remainingNanos(long nanos, long elapsed) {
        return nanos == Decision.NEVER ? nanos : Math.max(0, nanos - elapsed);
    }

    /** A scheduled ask for a line's head; a stale one (replaced or cancelled too late) does nothing. */
    private final class Wake implements Runnable {
        final Line line;
        Scheduler.@Nullable Task task;

        Wake(Line line) {
            this.line = line;
        }

        @Override
        public void run() {
            line.lock.lock();
            try {
                if (line.wake != this) {
                    return;
                }
                line.wake = null;
            } finally {
                line.lock.unlock();
            }
            drain(line);
        }
    }

    /**
     * One call; it is its own future, so that cancelling it takes it out of its line. Fields other
     * than the finals, {@link #line} and {@link #timeout} are guarded by its line's lock.
     */
    private final class Waiter extends CompletableFuture<Decision> {
        final String key;
        final LimitSpec spec;
        final long permits;
        final int maxWaiters;
        final long timeoutNanos;
        volatile @Nullable Line line;
        volatile Scheduler.@Nullable Task timeout;

        @Nullable
        Waiter previous;

        @Nullable
        Waiter next;

        boolean linked;
        long joinedAtNanos;

        Waiter(String key, LimitSpec spec, long permits, int maxWaiters, long timeoutNanos) {
            this.key = key;
            this.spec = spec;
            this.permits = permits;
            this.maxWaiters = maxWaiters;
            this.timeoutNanos = timeoutNanos;
        }

        /**
         * Hands {@code grant} (made under {@code grantedSpec}) to this call; if the call has completed
         * already (cancelled, timed out, closed), it is not there to use the permits and they go back
         * to the limiter with the grant's lease. The only place where a grant is given back.
         */
        void admit(Decision grant, LimitSpec grantedSpec) {
            cancelTimeout();
            if (!complete(grant)) {
                giveBack(key, grantedSpec, permits, grant.lease());
            }
        }

        void finish(Decision answer) {
            cancelTimeout();
            complete(answer);
        }

        void fail(Throwable error) {
            cancelTimeout();
            completeExceptionally(error);
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
