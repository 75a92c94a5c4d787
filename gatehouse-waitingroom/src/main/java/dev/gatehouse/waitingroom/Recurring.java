package dev.gatehouse.waitingroom;

import dev.gatehouse.core.time.Scheduler;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A piece of work run again and again on a {@link Scheduler}: each run starts an interval after the
 * last one's stage completed (so slow work never overlaps itself), until closed. A run that throws
 * is scheduled again like one that failed its stage.
 */
final class Recurring implements AutoCloseable {

    private final Scheduler scheduler;
    private final long intervalNanos;
    private final Supplier<? extends CompletionStage<?>> work;
    private boolean closed;
    private Scheduler.@Nullable Task next;

    private Recurring(Scheduler scheduler, long intervalNanos, Supplier<? extends CompletionStage<?>> work) {
        this.scheduler = scheduler;
        this.intervalNanos = intervalNanos;
        this.work = work;
    }

    /** Runs {@code work} {@code firstDelayNanos} from now, then {@code intervalNanos} after each run. */
    static Recurring start(
            Scheduler scheduler,
            long firstDelayNanos,
            long intervalNanos,
            Supplier<? extends CompletionStage<?>> work) {
        Recurring recurring = new Recurring(scheduler, intervalNanos, work);
        recurring.schedule(firstDelayNanos);
        return recurring;
    }

    private synchronized void schedule(long delayNanos) {
        if (!closed) {
            next = scheduler.schedule(this::run, delayNanos);
        }
    }

    private void run() {
        CompletionStage<?> stage;
        try {
            stage = work.get();
        } catch (RuntimeException e) {
            schedule(intervalNanos);
            throw e;
        }
        stage.whenComplete((done, failure) -> schedule(intervalNanos));
    }

    /** Stops the runs; one under way finishes. Harmless when repeated. */
    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel();
        }
    }
}
