package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The audit log kept to its retention, on virtual time. */
class AuditRetentionTest {

    private static final Duration RETENTION = Duration.ofDays(30);
    private static final Duration INTERVAL = Duration.ofHours(1);

    private final ManualClock clock = new ManualClock();
    private final MemoryTenantStore log = new MemoryTenantStore(100);
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicInteger prunes = new AtomicInteger();
    private final TenantStore store = new ForwardingTenantStore(log) {
        @Override
        public CompletionStage<Long> pruneAudit(long beforeMillis) {
            prunes.incrementAndGet();
            return down.get()
                    ? CompletableFuture.failedFuture(new IllegalStateException("db down"))
                    : super.pruneAudit(beforeMillis);
        }
    };

    @Test
    void eventsOlderThanTheRetentionGo_aMinuteAfterStartThenEveryInterval() {
        event("old", clock.epochMillis() - RETENTION.toMillis() - 1);
        event(
                "recent",
                clock.epochMillis()
                        - RETENTION.toMillis()
                        + Duration.ofMinutes(30).toMillis());

        AuditRetention retention = AuditRetention.start(store, clock, clock, RETENTION, INTERVAL);
        try {
            clock.advance(Duration.ofSeconds(59));
            assertThat(users()).containsExactly("recent", "old");

            clock.advance(Duration.ofSeconds(1));
            assertThat(users()).containsExactly("recent");

            clock.advance(INTERVAL); // "recent" is now 30 days and 31 minutes old
            assertThat(users()).isEmpty();
            assertThat(prunes).hasValue(2);
        } finally {
            retention.close();
        }
    }

    @Test
    void aFailedPruneIsTriedAgainAtTheNextInterval() {
        event("old", clock.epochMillis() - RETENTION.toMillis() - 1);
        down.set(true);
        AuditRetention retention = AuditRetention.start(store, clock, clock, RETENTION, INTERVAL);
        try {
            clock.advance(Duration.ofMinutes(1));
            assertThat(users()).containsExactly("old");

            down.set(false);
            clock.advance(INTERVAL);
            assertThat(users()).isEmpty();
            assertThat(prunes).hasValue(2);
        } finally {
            retention.close();
        }
    }

    @Test
    void closing_stopsThePruning() {
        AuditRetention retention = AuditRetention.start(store, clock, clock, RETENTION, INTERVAL);
        retention.close();
        retention.close();

        clock.advance(Duration.ofDays(1));

        assertThat(prunes).hasValue(0);
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void aRetentionOrIntervalOfNothing_isRefused() {
        assertThatThrownBy(() -> AuditRetention.start(store, clock, clock, Duration.ZERO, INTERVAL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retention");
        assertThatThrownBy(() -> AuditRetention.start(store, clock, clock, RETENTION, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("interval");
    }

    private void event(String user, long atMillis) {
        log.audit(List.of(new AuditEvent("acme", atMillis, AuditKind.ADMITTED, user, 1)));
    }

    private List<String> users() {
        return log.recentAudit("acme", 10).toCompletableFuture().join().stream()
                .map(AuditEvent::user)
                .toList();
    }
}
