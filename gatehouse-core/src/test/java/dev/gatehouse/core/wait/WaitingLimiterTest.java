package dev.gatehouse.core.wait;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class WaitingLimiterTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long FOREVER = Long.MAX_VALUE;

    private final ManualClock clock = new ManualClock();

    private WaitingLimiter fixedWindow(long max, int maxWaiters) {
        return WaitingLimiter.create(
                LimitSpec.fixedWindow(max, Duration.ofSeconds(1)).newLimiter(clock), maxWaiters, clock);
    }

    @Test
    void acquire_withCapacity_completesAtOnce() {
        WaitingLimiter limiter = fixedWindow(1, 10);

        CompletableFuture<Decision> result = limiter.acquire(1, FOREVER);

        assertThat(result).isCompletedWithValueMatching(Decision::allowed);
        assertThat(limiter.waiting()).isZero();
    }

    @Test
    void waiters_areGrantedInArrivalOrderWhenTheWindowRolls() {
        WaitingLimiter limiter = fixedWindow(2, 10);
        limiter.acquire(2, FOREVER);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int id = i;
            limiter.acquire(1, FOREVER).thenAccept(decision -> order.add(id));
        }
        assertThat(limiter.waiting()).isEqualTo(5);

        clock.advanceNanos(SECOND - 1);
        assertThat(order).isEmpty();
        clock.advanceNanos(1);
        assertThat(order).containsExactly(0, 1);
        clock.advanceNanos(SECOND);
        assertThat(order).containsExactly(0, 1, 2, 3);
        clock.advanceNanos(SECOND);
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
        assertThat(limiter.waiting()).isZero();
        assertThat(limiter.snapshot().remaining()).isEqualTo(1);
    }

    @Test
    void queueFull_failsFast() {
        WaitingLimiter limiter = fixedWindow(1, 2);
        limiter.acquire(1, FOREVER);
        limiter.acquire(1, FOREVER);
        limiter.acquire(1, FOREVER);

        CompletableFuture<Decision> third = limiter.acquire(1, FOREVER);

        assertThat(third.join().outcome()).isEqualTo(Decision.Outcome.QUEUE_FULL);
        assertThat(third.join().nanosUntilRetry()).isEqualTo(SECOND);
        assertThat(limiter.waiting()).isEqualTo(2);
    }

    @Test
    void noQueue_deniesAsQueueFull() {
        WaitingLimiter limiter = fixedWindow(1, 0);
        limiter.acquire(1, FOREVER);

        assertThat(limiter.acquire(1, FOREVER).join().outcome()).isEqualTo(Decision.Outcome.QUEUE_FULL);
    }

    @Test
    void moreThanTheLimit_isDeniedWithoutWaiting() {
        WaitingLimiter limiter = fixedWindow(2, 10);

        Decision decision = limiter.acquire(3, FOREVER).join();

        assertThat(decision.outcome()).isEqualTo(Decision.Outcome.DENIED);
        assertThat(limiter.waiting()).isZero();
    }

    @Test
    void timeout_leavesTheQueue() {
        WaitingLimiter limiter = fixedWindow(1, 10);
        limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> impatient = limiter.acquire(1, SECOND / 2);
        CompletableFuture<Decision> patient = limiter.acquire(1, FOREVER);

        clock.advanceNanos(SECOND / 2);

        assertThat(impatient.join().outcome()).isEqualTo(Decision.Outcome.TIMED_OUT);
        assertThat(limiter.waiting()).isEqualTo(1);
        clock.advanceNanos(SECOND / 2);
        assertThat(patient).isCompletedWithValueMatching(Decision::allowed);
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void cancel_leavesTheQueue_andTheNextWaiterMovesUp() {
        WaitingLimiter limiter = fixedWindow(1, 10);
        limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> goneAway = limiter.acquire(1, SECOND * 10);
        CompletableFuture<Decision> next = limiter.acquire(1, FOREVER);

        goneAway.cancel(true);

        assertThat(limiter.waiting()).isEqualTo(1);
        clock.advanceNanos(SECOND);
        assertThat(next).isCompletedWithValueMatching(Decision::allowed);
        assertThat(limiter.snapshot().remaining()).isZero();
    }

    @Test
    void requestsThatDoNotWait_neverOvertakeWaiters() {
        WaitingLimiter limiter = fixedWindow(1, 10);
        limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> waiter = limiter.acquire(1, FOREVER);
        limiter.release(1); // frees the slot: the waiter gets it at once

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        CompletableFuture<Decision> second = limiter.acquire(1, FOREVER);
        assertThat(limiter.tryAcquire()).isFalse();
        assertThat(limiter.decide(1).outcome()).isEqualTo(Decision.Outcome.DENIED);
        clock.advanceNanos(SECOND);
        assertThat(second).isCompletedWithValueMatching(Decision::allowed);
    }

    @Test
    void concurrencyLimiter_waitersAreWokenByReleases() {
        WaitingLimiter limiter = WaitingLimiter.create(LimitSpec.concurrency(1).newLimiter(clock), 10, clock);
        limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> waiter = limiter.acquire(1, FOREVER);
        clock.advanceNanos(100 * SECOND);
        assertThat(waiter).isNotDone();

        limiter.release(1);

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(limiter.snapshot().used()).isEqualTo(1);
    }

    @Test
    void tokenBucket_waitersAreWokenWhenTokensRefill() {
        WaitingLimiter limiter = WaitingLimiter.create(
                LimitSpec.tokenBucket(1, 4, Duration.ofSeconds(1)).newLimiter(clock), 10, clock);
        limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> first = limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> second = limiter.acquire(1, FOREVER);

        clock.advanceNanos(SECOND / 4);
        assertThat(first).isCompletedWithValueMatching(Decision::allowed);
        assertThat(second).isNotDone();
        clock.advanceNanos(SECOND / 4);
        assertThat(second).isCompletedWithValueMatching(Decision::allowed);
    }

    @Test
    void close_answersEveryWaiterAndRefusesNewOnes() {
        WaitingLimiter limiter = fixedWindow(1, 10);
        limiter.acquire(1, FOREVER);
        CompletableFuture<Decision> waiter = limiter.acquire(1, FOREVER);

        limiter.close();

        assertThat(waiter.join().outcome()).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(limiter.acquire(1, FOREVER).join().outcome()).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void reclaimableAt_neverWhileAnyoneWaits() {
        WaitingLimiter limiter = fixedWindow(1, 10);
        limiter.acquire(1, FOREVER);
        limiter.acquire(1, FOREVER);

        assertThat(limiter.reclaimableAtNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(limiter.snapshot().waiting()).isEqualTo(1);
    }

    @Test
    void tenThousandWaitersOnOneKey_allCompleteInOrder() {
        WaitingLimiter limiter = fixedWindow(100, 10_000);
        limiter.acquire(100, FOREVER);
        List<Integer> order = new ArrayList<>(10_000);
        List<CompletableFuture<Decision>> waiters = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
            int id = i;
            CompletableFuture<Decision> waiter = limiter.acquire(1, FOREVER);
            waiter.thenAccept(decision -> order.add(id));
            waiters.add(waiter);
        }
        assertThat(limiter.acquire(1, FOREVER).join().outcome()).isEqualTo(Decision.Outcome.QUEUE_FULL);

        clock.advanceNanos(100 * SECOND);

        assertThat(waiters).allMatch(waiter -> waiter.isDone() && waiter.join().allowed());
        assertThat(order).hasSize(10_000).isSorted();
        assertThat(limiter.waiting()).isZero();
    }
}
