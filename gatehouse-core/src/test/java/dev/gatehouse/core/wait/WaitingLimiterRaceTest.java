package dev.gatehouse.core.wait;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.testing.ForwardingRateLimiter;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Wake-ups of the waiting limiter under releases and cancellations that race with queueing and
 * granting. The race between a grant and its waiter's cancellation is placed exactly in {@code
 * dev.gatehouse.core.wait.WaitQueueRaceTest}, where the window is.
 */
class WaitingLimiterRaceTest {

    private static final long FOREVER = Long.MAX_VALUE;

    private final ManualClock clock = new ManualClock();

    /** A limiter that runs a hook right after its n-th decision, to place another thread's move exactly there. */
    private static final class Hooked extends ForwardingRateLimiter {
        final AtomicInteger decisions = new AtomicInteger();
        volatile IntConsumer afterDecision = n -> {};

        Hooked(RateLimiter inner) {
            super(inner);
        }

        @Override
        public Decision decide(long permits) {
            Decision decision = super.decide(permits);
            afterDecision.accept(decisions.incrementAndGet());
            return decision;
        }
    }

    @Test
    void acquire_releaseBetweenDenialAndQueueing_grantsTheWaiter() {
        Hooked hooked = new Hooked(LimitSpec.concurrency(1).newLimiter(clock));
        WaitingLimiter waiting = WaitingLimiter.create(hooked, 10, clock);
        assertThat(waiting.acquire(1, FOREVER).join().allowed()).isTrue(); // decision 1: the holder
        hooked.afterDecision = n -> {
            if (n == 2) { // the waiter was just denied and is not queued yet: the holder finishes now
                Race.onOtherThread(() -> waiting.release(1));
            }
        };

        CompletableFuture<Decision> waiter = waiting.acquire(1, FOREVER);
        hooked.afterDecision = n -> {};

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(waiting.waiting()).isZero();
        assertThat(hooked.inner().snapshot().used()).isEqualTo(1);
    }

    /** {@link OnePermitStress} through the waiting limiter; nobody is left waiting after it. */
    @RepeatedTest(20)
    void acquireAndRelease_manyThreads_neverStallAndNeverExceedTheLimit() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            WaitingLimiter waiting = WaitingLimiter.create(
                    LimitSpec.concurrency(1).newLimiter(System::nanoTime), 64, Scheduler.of(timers));
            OnePermitStress.run(() -> waiting.acquire(1, FOREVER), grant -> waiting.release(1));
            assertThat(waiting.waiting()).isZero();
        } finally {
            timers.shutdownNow();
        }
    }

    /** As above, while a quarter of the requests are cancelled at once by their client. */
    @RepeatedTest(10)
    void acquireReleaseAndCancel_manyThreads_everyPermitComesBack() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try {
            RateLimiter inner = LimitSpec.concurrency(2).newLimiter(System::nanoTime);
            WaitingLimiter waiting = WaitingLimiter.create(inner, 64, Scheduler.of(timers));
            AtomicLong stalled = new AtomicLong();
            Race.run(4, () -> {
                for (int i = 0; i < 1_000; i++) {
                    CompletableFuture<Decision> pending = waiting.acquire(1, FOREVER);
                    if (i % 4 == 0 && pending.cancel(false)) {
                        continue;
                    }
                    try {
                        if (pending.get(10, TimeUnit.SECONDS).allowed()) {
                            waiting.release(1);
                        }
                    } catch (TimeoutException e) {
                        stalled.incrementAndGet();
                        return;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            });
            assertThat(stalled).hasValue(0);
            assertThat(waiting.waiting()).isZero();
            assertThat(inner.snapshot().used()).isZero();
        } finally {
            timers.shutdownNow();
        }
    }
}
