package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.testing.ManualClock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /**
     * Runs complete on other threads while close is called: once close has returned, nothing is
     * scheduled any more (a run already handed to the timer may still run; none follows it). Without
     * the lock, a completion that saw "not closed" just before close would schedule one more run.
     */
    @Test
    void closingWhileRunsCompleteOnOtherThreads_schedulesNothingAfterClose() throws InterruptedException {
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
        ExecutorService completers = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0;
                    round < 3_000;
                    round++) { // the window is narrow: fails within a few hundred without the lock
                AtomicBoolean closed = new AtomicBoolean();
                AtomicInteger scheduledAfterClose = new AtomicInteger();
                Scheduler timer = Scheduler.of(timers);
                Scheduler watched = (task, delayNanos) -> {
                    if (closed.get()) {
                        scheduledAfterClose.incrementAndGet();
                    }
                    return timer.schedule(task, delayNanos);
                };
                CountDownLatch someRuns = new CountDownLatch(3);
                Recurring recurring = Recurring.start(watched, 0, 0, () -> {
                    someRuns.countDown();
                    return CompletableFuture.runAsync(() -> {}, completers);
                });
                assertThat(someRuns.await(10, TimeUnit.SECONDS)).isTrue();
                recurring.close();
                closed.set(true);
                // let what was under way at close complete: completions land on the completers
                CountDownLatch drained = new CountDownLatch(4);
                for (int i = 0; i < 2; i++) {
                    timers.execute(drained::countDown);
                    completers.execute(drained::countDown);
                }
                assertThat(drained.await(10, TimeUnit.SECONDS)).isTrue();

                assertThat(scheduledAfterClose).as("round %d", round).hasValue(0);
            }
        } finally {
            timers.shutdownNow();
            completers.shutdownNow();
        }
    }
}
