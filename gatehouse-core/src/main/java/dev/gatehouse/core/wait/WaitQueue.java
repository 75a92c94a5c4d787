package dev.gatehouse.core.wait;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * First-in, first-out lines of calls waiting for permits of a {@link KeyedRateLimiter}, one bounded
 * line per key. A call the limiter refuses may wait in its key's line; the head of the line is asked
 * for again when its refusal said capacity would be back, or when a permit comes back on this node,
 * and calls are admitted in arrival order. Nothing waits on a thread, and the limiter may answer on
 * any thread.
 *
 * <p>Every future this queue returns can be cancelled (the caller went away): a waiting call leaves
 * its line at once, and permits granted to a call that is no longer there to take them are given
 * back to the limiter with their lease. That rule lives here and nowhere else.
 */
public interface WaitQueue extends AutoCloseable {

    /**
     * Asks for {@code permits} of {@code key}'s limit {@code spec}, waiting in {@code key}'s line for
     * at most {@code timeoutNanos} ({@code Long.MAX_VALUE}: no limit) if the limiter refuses them.
     * When others wait already, the call joins the line behind them without asking the limiter. The
     * future completes with the decision that ends the call:
     *
     * <ul>
     *   <li>{@link Decision.Outcome#ALLOWED} when the permits are granted, at once or in turn;
     *   <li>{@link Decision.Outcome#QUEUE_FULL} at once when {@code maxWaiters} calls wait already,
     *       or when others wait and this call could not wait anyway ({@code permits} exceed the
     *       spec's limit, or {@code timeoutNanos} is 0): with the last refusal's figures, {@link
     *       Decision#NEVER} to retry when {@code permits} exceed the spec's limit;
     *   <li>the limiter's own refusal at once when nobody waits and waiting cannot help: {@code
     *       permits} exceed the spec's limit, {@code timeoutNanos} is 0, or the refusal is not {@link
     *       Decision.Outcome#DENIED} (a store full of keys answers {@link Decision.Outcome#TOO_MANY_KEYS});
     *   <li>{@link Decision.Outcome#TIMED_OUT} after {@code timeoutNanos} in the line;
     *   <li>{@link Decision.Outcome#CLOSED} when the queue is (or gets) closed.
     * </ul>
     *
     * It completes exceptionally with the limiter's failure when the limiter cannot answer for this
     * call. Cancelling it takes the call out of the line; permits granted to it meanwhile go back.
     */
    CompletableFuture<Decision> acquire(String key, LimitSpec spec, long permits, int maxWaiters, long timeoutNanos);

    /**
     * Asks for {@code permits} of {@code key} once, now, without waiting and without regard to the
     * calls waiting for {@code key} (gocc's calls that may not wait are not held back by those that
     * do). Cancelling the future before the limiter answers gives a grant back, as for {@link
     * #acquire}.
     */
    CompletableFuture<Decision> decide(String key, LimitSpec spec, long permits);

    /**
     * Gives back {@code permits} of the grant {@code lease} names through the limiter ({@link
     * KeyedRateLimiter#release(String, LimitSpec, long, long)}), then lets {@code key}'s line ask
     * again ({@link #permitsReturned}).
     */
    CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease);

    /**
     * Says that permits of {@code key} came back on this node by other means than {@link #release}:
     * the head of {@code key}'s line is asked for now instead of at its next wake. A permit freed on
     * another node sharing the store is noticed at the next wake, or after {@link
     * Builder#recheckInterval} when the limiter cannot say when capacity returns.
     */
    void permitsReturned(String key);

    /** Calls waiting in {@code key}'s line. */
    int waiting(String key);

    /** Calls waiting in all lines (a sum over the lines: for metrics and debugging, not hot paths). */
    int waiting();

    /** Keys with calls waiting (or with an ask for their head under way). */
    int lines();

    /** Answers every waiting call with {@link Decision.Outcome#CLOSED} and every later one at once. */
    @Override
    void close();

    /**
     * A builder of a queue in front of {@code limiter}, waking lines and timing calls out on {@code
     * scheduler}, which must not run a task inside {@link Scheduler#schedule} itself.
     */
    static Builder builder(KeyedRateLimiter limiter, Scheduler scheduler) {
        return new Builder(
                Require.given("limiter", limiter, "a limiter"), Require.given("scheduler", scheduler, "a scheduler"));
    }

    /**
     * Observes the lines, for metrics and for callers that keep their own books about waiting calls.
     * Called on the thread that made the change, after the change and outside the queue's locks;
     * a listener that throws is logged and the queue goes on.
     */
    interface Listener {

        /** A call joined {@code key}'s line behind {@code ahead} others. */
        default void joined(String key, int ahead) {}

        /**
         * A call left {@code key}'s line after {@code waitedNanos}: {@code admitted}, or not (timed
         * out, cancelled, closed, or the limiter failed). Called before the call's future completes.
         */
        default void left(String key, long waitedNanos, boolean admitted) {}

        /**
         * The limiter refused an ask made for a call that waits (its first ask, after which it joined
         * the line, or an ask for the head), with {@code refusal}: the limiter counted a refusal,
         * though the call was not turned away.
         */
        default void refusedWhileWaiting(String key, Decision refusal) {}

        /**
         * A call was turned away with {@code answer} ({@link Decision.Outcome#QUEUE_FULL}) because
         * the line was full, without asking the limiter: the limiter counted nothing.
         */
        default void turnedAway(String key, Decision answer) {}
    }

    /** Configures a {@link WaitQueue}. */
    final class Builder {

        /** The default of {@link #recheckInterval}. */
        public static final Duration DEFAULT_RECHECK_INTERVAL = Duration.ofSeconds(1);

        final KeyedRateLimiter limiter;
        final Scheduler scheduler;
        NanoClock clock = NanoClock.system();
        Listener listener = new Listener() {};

        @Nullable
        Function<String, LimitSpec> currentSpec;

        long recheckNanos = DEFAULT_RECHECK_INTERVAL.toNanos();

        private Builder(KeyedRateLimiter limiter, Scheduler scheduler) {
            this.limiter = limiter;
            this.scheduler = scheduler;
        }

        /** Measures time spent waiting and ages the last refusal's figures (default: the system clock). */
        public Builder clock(NanoClock clock) {
            this.clock = NanoClock.monotonic(Require.given("clock", clock, "a clock"));
            return this;
        }

        /** Observes the lines (default: nobody). */
        public Builder listener(Listener listener) {
            this.listener = Require.given("listener", listener, "a listener");
            return this;
        }

        /**
         * Where a waiting key's spec is read at each ask for its head (a policy that can change while
         * calls wait); by default the head is asked for with the spec it arrived with.
         */
        public Builder currentSpec(Function<String, LimitSpec> currentSpec) {
            this.currentSpec = Require.given("currentSpec", currentSpec, "a spec for each key");
            return this;
        }

        /**
         * How soon the head is asked for again after a refusal that waiting alone cannot end ({@link
         * Decision#NEVER}, such as a concurrency limit; default {@link #DEFAULT_RECHECK_INTERVAL}):
         * permits freed on this node wake the line at once, ones freed on another node sharing the
         * store (or a lease that ran out) are noticed this late at most.
         */
        public Builder recheckInterval(Duration interval) {
            this.recheckNanos = Require.nanosAtLeast("recheckInterval", interval, 1);
            return this;
        }

        /**
         * No recheck: after a refusal that waiting alone cannot end, only {@link WaitQueue#release}
         * and {@link WaitQueue#permitsReturned} wake the line. For a limiter that only this node uses.
         */
        public Builder withoutRecheck() {
            this.recheckNanos = Decision.NEVER;
            return this;
        }

        /** A queue with no lines yet. */
        public WaitQueue build() {
            return new FifoWaitQueue(this);
        }
    }
}
