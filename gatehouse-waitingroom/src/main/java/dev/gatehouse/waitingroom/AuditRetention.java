package dev.gatehouse.waitingroom;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
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

    private final Recurring pruning;

    private AuditRetention(Recurring pruning) {
        this.pruning = pruning;
    }

    /** Prunes {@code store}'s audit log to {@code retention} every {@code interval}, on {@code scheduler}. */
    public static AuditRetention start(
            TenantStore store, Scheduler scheduler, WallClock clock, Duration retention, Duration interval) {
        long retentionMillis = Require.nanosAtLeast("retention", retention, 1_000_000) / 1_000_000;
        long intervalNanos = Require.nanosAtLeast("interval", interval, 1);
        return new AuditRetention(Recurring.start(
                scheduler,
                Math.min(FIRST_DELAY_NANOS, intervalNanos),
                intervalNanos,
                () -> prune(store, clock.epochMillis() - retentionMillis, retentionMillis, intervalNanos)));
    }

    private static CompletionStage<Long> prune(
            TenantStore store, long beforeMillis, long retentionMillis, long intervalNanos) {
        return store.pruneAudit(beforeMillis).whenComplete((deleted, failure) -> {
            if (failure != null) {
                Throwable cause = Failures.cause(failure);
                LOG.warn(
                        "audit log not pruned, trying again in {} s: {}",
                        intervalNanos / 1_000_000_000L,
                        cause.toString());
            } else if (deleted > 0) {
                LOG.info("audit log: {} event(s) older than {} day(s) deleted", deleted, retentionMillis / 86_400_000L);
            }
        });
    }

    /** Stops pruning; harmless when repeated. */
    @Override
    public void close() {
        pruning.close();
    }
}
