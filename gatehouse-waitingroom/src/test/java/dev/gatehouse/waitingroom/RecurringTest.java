package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Work run again and again on virtual time. */
class RecurringTest {

    private final ManualClock clock = new ManualClock();
    private final AtomicInteger runs = new AtomicInteger();

    @Test
    void eachRunStartsAnIntervalAfterTheLastOneCompleted() {
        AtomicReference<CompletableFuture<Void>> last = new AtomicReference<>();
        Recurring recurring = Recurring.start(clock, 5, 10, () -> {
            runs.incrementAndGet();
            last.set(new CompletableFuture<>());
            return last.get();
        });
        try {
            clock.advanceNanos(5);
            assertThat(runs).hasValue(1);
            clock.advanceNanos(100); // the run has not completed: no second one
            assertThat(runs).hasValue(1);

            last.get().complete(null);
            clock.advanceNanos(9);
            assertThat(runs).hasValue(1);
            clock.advanceNanos(1);
            assertThat(runs).hasValue(2);
        } finally {
            recurring.close();
        }
    }

    @Test
    void aRunThatThrowsOrFails_isFollowedByTheNextOne() {
        Recurring recurring = Recurring.start(clock, 1, 1, () -> switch (runs.incrementAndGet()) {
            case 1 -> throw new IllegalStateException("boom");
            case 2 -> CompletableFuture.failedFuture(new IllegalStateException("failed"));
            default -> CompletableFuture.completedFuture(null);
        });
        try {
            assertThatThrownBy(() -> clock.advanceNanos(1)).hasMessage("boom");
            clock.advanceNanos(1);
            assertThat(runs).hasValue(2);
            clock.advanceNanos(1); // after the failed stage too
            assertThat(runs).hasValue(3);
        } finally {
            recurring.close();
        }
    }

    @Test
    void closing_whileARunIsUnderWay_stopsTheRunsAfterIt() {
        CompletableFuture<Void> underWay = new CompletableFuture<>();
        Recurring recurring = Recurring.start(clock, 1, 1, () -> {
            runs.incrementAndGet();
            return underWay;
        });
        clock.advanceNanos(1);

        recurring.close();
        underWay.complete(null);
        clock.advanceNanos(100);

        assertThat(runs).hasValue(1);
        assertThat(clock.pendingTasks()).isZero();
    }
}
