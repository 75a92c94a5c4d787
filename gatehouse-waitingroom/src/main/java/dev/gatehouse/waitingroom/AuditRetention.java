package dev.gatehouse.waitingroom;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the audit log to a retention: every interval (the first time one minute after start, or
 * sooner when the interval is shorter), the events older than the retention are deleted from the
 * {@link TenantStore}. Every replica runs its own; a prune that finds nothing left costs one query.
 * A launch admits users by the million, and each admission is an event, so without this the log
 * grows without end.
 */
public final class AuditRetention implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditRetention.class);
    private static final long FIRST_DELAY_NANOS = Duration.ofMinutes(1).toNanos();

    private final TenantStore store;
    private final Scheduler scheduler;
    private final WallClock clock;
    private final long retentionMillis;
    private final long intervalNanos;
    private volatile boolean closed;
    private volatile Scheduler.@Nullable Task next;

    private AuditRetention(
            TenantStore store, Scheduler scheduler, WallClock clock, Duration retention, Duration interval) {
        this.store = store;
        this.scheduler = scheduler;
        this.clock = clock;
        this.retentionMillis = retention.toMillis();
        this.intervalNanos = interval.toNanos();
    }

    /** Prunes {@code store}'s audit log to {@code retention} every {@code interval}, on {@code scheduler}. */
    public static AuditRetention start(
            TenantStore store, Scheduler scheduler, WallClock clock, Duration retention, Duration interval) {
        Require.nanosAtLeast("retention", retention, 1_000_000);
        Require.nanosAtLeast("interval", interval, 1);
        AuditRetention retaining = new AuditRetention(store, scheduler, clock, retention, interval);
        retaining.schedule(Math.min(FIRST_DELAY_NANOS, retaining.intervalNanos));
        return retaining;
    }

    private void schedule(long delayNanos) {
        if (!closed) {
            next = scheduler.schedule(this::prune, delayNanos);
        }
    }

    private void prune() {
        long before = clock.epochMillis() - retentionMillis;
        store.pruneAudit(before).whenComplete((deleted, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                LOG.warn(
                        "audit log not pruned, trying again in {} s: {}",
                        intervalNanos / 1_000_000_000L,
                        cause.toString());
            } else if (deleted > 0) {
                LOG.info("audit log: {} event(s) older than {} day(s) deleted", deleted, retentionMillis / 86_400_000L);
            }
            schedule(intervalNanos);
        });
    }

    /** Stops pruning; harmless when repeated. */
    @Override
    public void close() {
        closed = true;
        Scheduler.Task task = next;
        if (task != null) {
            task.cancel();
        }
    }
}
