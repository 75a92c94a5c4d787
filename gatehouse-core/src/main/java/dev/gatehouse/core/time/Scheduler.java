package dev.gatehouse.core.time;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task once after a delay. Wait queues use it to wake waiters and to time them out without
 * a thread per waiter.
 */
@FunctionalInterface
public interface Scheduler {

    /** Runs {@code task} once, {@code delayNanos} from now (at once when zero or negative). */
    Task schedule(Runnable task, long delayNanos);

    /** A scheduled run that may still be cancelled. */
    @FunctionalInterface
    interface Task {
        /** Prevents the run if it has not started; harmless when called again or too late. */
        void cancel();
    }

    /** A scheduler backed by an executor the caller owns (and shuts down). */
    static Scheduler of(ScheduledExecutorService executor) {
        return (task, delayNanos) -> {
            ScheduledFuture<?> future = executor.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        };
    }
}
