package dev.gatehouse.core.wait;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Wake-ups and give-backs of the wait queue under returns and cancellations that race with joining and granting. */
class WaitQueueRaceTest {

    private static final long FOREVER = Long.MAX_VALUE;
    private static final LimitSpec ONE_IN_FLIGHT = LimitSpec.concurrency(1);

    private final ManualClock clock = new ManualClock();
    private final TestPort port = new TestPort(clock);

    @Test
    void acquire_permitReturnedBetweenRefusalAndJoining_admitsTheWaiter() {
        WaitQueue queue =
                WaitQueue.builder(port, clock).clock(clock).withoutRecheck().build();
        Decision holder = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER).join(); // decision 1
        port.afterDecision = n -> {
            if (n == 2) { // the waiter was just refused and has no line yet: the holder finishes now
                Race.onOtherThread(() -> queue.release("k", ONE_IN_FLIGHT, 1, holder.lease()));
            }
        };

        CompletableFuture<Decision> waiter = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER);
        port.afterDecision = n -> {};

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(queue.lines()).isZero();
        assertThat(port.localLimiter("k", ONE_IN_FLIGHT).snapshot().used()).isEqualTo(1);
    }

    @Test
    void grantedWaiterCancelledBeforeItsCompletion_givesThePermitBackOnce_andTheNextWaiterGetsIt() {
        AtomicReference<CompletableFuture<Decision>> leaving = new AtomicReference<>();
        WaitQueue queue = WaitQueue.builder(port, clock)
                .clock(clock)
                .withoutRecheck()
                .listener(new WaitQueue.Listener() {
                    @Override
                    public void left(String key, long waitedNanos, boolean admitted) {
                        CompletableFuture<Decision> first = leaving.getAndSet(null);
                        if (admitted && first != null) {
                            // taken off the line with its grant, not yet completed: its client leaves now
                            Race.onOtherThread(
                                    () -> assertThat(first.cancel(false)).isTrue());
                        }
                    }
                })
                .build();
        Decision holder = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER).join();
        CompletableFuture<Decision> first = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER);
        CompletableFuture<Decision> second = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER);
        leaving.set(first);

        queue.release("k", ONE_IN_FLIGHT, 1, holder.lease());

        assertThat(first).isCancelled();
        assertThat(second).isCompletedWithValueMatching(Decision::allowed);
        assertThat(port.releasedLeases()).hasSize(2); // the holder's, and the grant the first did not take
        assertThat(port.releasesOfUnknownLeases()).isZero();
        assertThat(port.outstandingLeases()).containsExactly(second.join().lease());
        assertThat(port.localLimiter("k", ONE_IN_FLIGHT).snapshot().used()).isEqualTo(1);
        assertThat(queue.lines()).isZero();
    }

    @Test
    void permitReturnedWhileTheHeadsRefusalTravels_onAnotherThread_isNotLost() {
        List<Runnable> inFlight = new ArrayList<>();
        Scheduler held = (task, delayNanos) -> {
            synchronized (inFlight) {
                inFlight.add(task);
            }
            return () -> {};
        };
        port.answeringLater(held, 0);
        WaitQueue queue =
                WaitQueue.builder(port, clock).clock(clock).withoutRecheck().build();
        CompletableFuture<Decision> holder = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER);
        deliverOnAnotherThread(inFlight);
        CompletableFuture<Decision> waiter = queue.acquire("k", ONE_IN_FLIGHT, 1, 10, FOREVER);
        deliverOnAnotherThread(inFlight); // refused: it joins the line
        queue.permitsReturned("k"); // a false alarm: the head is asked, and refused...
        queue.release("k", ONE_IN_FLIGHT, 1, holder.join().lease()); // ...before this return

        deliverOnAnotherThread(inFlight); // the refusal arrives after the return
        deliverOnAnotherThread(inFlight); // the ask made again at once

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(queue.lines()).isZero();
    }

    private static void deliverOnAnotherThread(List<Runnable> inFlight) {
        List<Runnable> answers;
        synchronized (inFlight) {
            answers = new ArrayList<>(inFlight);
            inFlight.clear();
        }
        assertThat(answers).hasSize(1);
        Race.onOtherThread(answers.getFirst());
    }

    /** {@link OnePermitStress} through the queue; then every grant has come back exactly once. */
    @RepeatedTest(20)
    void acquireAndRelease_manyThreads_neverStallAndNeverExceedTheLimit() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            TestPort shared = new TestPort(NanoClock.system());
            WaitQueue queue = WaitQueue.builder(shared, Scheduler.of(timers))
                    .withoutRecheck()
                    .build();
            OnePermitStress.run(
                    () -> queue.acquire("k", ONE_IN_FLIGHT, 1, 64, FOREVER),
                    grant -> queue.release("k", ONE_IN_FLIGHT, 1, grant.lease()));
            assertEverythingCameBack(shared, queue);
        } finally {
            timers.shutdownNow();
        }
    }

    /** As above with two permits, while a quarter of the calls are cancelled at once by their client. */
    @RepeatedTest(10)
    void acquireReleaseAndCancel_manyThreads_everyPermitComesBackOnce() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            TestPort shared = new TestPort(NanoClock.system());
            runWithCancellations(shared, WaitQueue.builder(shared, Scheduler.of(timers)), null);
        } finally {
            timers.shutdownNow();
        }
    }

    /** As above over a limiter whose answers arrive on two other threads, in any order. */
    @RepeatedTest(10)
    void acquireReleaseAndCancel_answersOnOtherThreads_everyPermitComesBackOnce() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService answers = Executors.newScheduledThreadPool(2);
        try {
            TestPort shared = new TestPort(NanoClock.system()).answeringLater(Scheduler.of(answers), 0);
            runWithCancellations(shared, WaitQueue.builder(shared, Scheduler.of(timers)), answers);
        } finally {
            answers.shutdownNow();
            timers.shutdownNow();
        }
    }

    /** {@code answers}, if given, delivers the limiter's answers: it is drained before the books are checked. */
    private static void runWithCancellations(
            TestPort shared, WaitQueue.Builder builder, ScheduledExecutorService answers) throws Exception {
        LimitSpec twoInFlight = LimitSpec.concurrency(2);
        WaitQueue queue = builder.withoutRecheck().build();
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicLong stalled = new AtomicLong();
        Race.run(4, () -> {
            for (int i = 0; i < 1_000; i++) {
                CompletableFuture<Decision> pending = queue.acquire("k", twoInFlight, 1, 64, FOREVER);
                if (i % 4 == 0 && pending.cancel(false)) {
                    continue;
                }
                try {
                    Decision decision = pending.get(10, TimeUnit.SECONDS);
                    if (decision.allowed()) {
                        mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                        holders.decrementAndGet();
                        queue.release("k", twoInFlight, 1, decision.lease());
                    }
                } catch (TimeoutException e) {
                    stalled.incrementAndGet();
                    return;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        if (answers != null) { // grants for calls cancelled while asked may still be on their way back
            answers.shutdown();
            assertThat(answers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(stalled).hasValue(0);
        assertThat(mostHolders.get()).isBetween(1, 2);
        assertEverythingCameBack(shared, queue);
    }

    private static void assertEverythingCameBack(TestPort shared, WaitQueue queue) {
        assertThat(shared.outstandingLeases()).isEmpty();
        assertThat(shared.releasesOfUnknownLeases()).isZero();
        assertThat(queue.waiting()).isZero();
        assertThat(queue.lines()).isZero();
    }
}
