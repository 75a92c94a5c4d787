package dev.gatehouse.core.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WaitQueueTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MILLI = 1_000_000L;
    private static final long FOREVER = Long.MAX_VALUE;
    private static final LimitSpec TWO_PER_SECOND = LimitSpec.fixedWindow(2, Duration.ofSeconds(1));
    private static final LimitSpec ONE_PER_SECOND = LimitSpec.fixedWindow(1, Duration.ofSeconds(1));
    private static final LimitSpec ONE_IN_FLIGHT = LimitSpec.concurrency(1);

    private final ManualClock clock = new ManualClock();
    private final TestPort port = new TestPort(clock);
    private final Events events = new Events();

    /** What the listener heard, in order. */
    private static final class Events implements WaitQueue.Listener {
        final List<String> heard = new ArrayList<>();

        @Override
        public void joined(String key, int ahead) {
            heard.add("joined " + key + " behind " + ahead);
        }

        @Override
        public void left(String key, long waitedNanos, boolean admitted) {
            heard.add((admitted ? "admitted " : "left ") + key + " after " + waitedNanos / MILLI + " ms");
        }

        @Override
        public void refusedWhileWaiting(String key, Decision refusal) {
            heard.add("refused " + key);
        }

        @Override
        public void turnedAway(String key, Decision answer) {
            heard.add("turned away " + key);
        }
    }

    private WaitQueue.Builder builder() {
        return WaitQueue.builder(port, clock).clock(clock).listener(events);
    }

    private WaitQueue queue() {
        return builder().build();
    }

    private static CompletableFuture<Decision> waitFor(WaitQueue queue, String key, LimitSpec spec) {
        return queue.acquire(key, spec, 1, 10, FOREVER);
    }

    private static Decision.Outcome outcome(CompletableFuture<Decision> call) {
        assertThat(call).isDone();
        return call.join().outcome();
    }

    // --- order -----------------------------------------------------------------------------------

    @Test
    void acquire_withCapacity_isAdmittedAtOnceWithoutALine() {
        WaitQueue queue = queue();

        assertThat(outcome(waitFor(queue, "k", ONE_PER_SECOND))).isEqualTo(Decision.Outcome.ALLOWED);
        assertThat(queue.lines()).isZero();
        assertThat(events.heard).isEmpty();
    }

    @Test
    void waiters_areAdmittedInArrivalOrder_atMostTheWindowsMaximumPerRoll() {
        WaitQueue queue = queue();
        queue.acquire("k", TWO_PER_SECOND, 2, 10, FOREVER);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int id = i;
            waitFor(queue, "k", TWO_PER_SECOND).thenAccept(decision -> order.add(id));
        }
        assertThat(queue.waiting("k")).isEqualTo(5);

        clock.advanceNanos(SECOND - 1);
        assertThat(order).isEmpty();
        clock.advanceNanos(1);
        assertThat(order).containsExactly(0, 1);
        clock.advanceNanos(SECOND);
        assertThat(order).containsExactly(0, 1, 2, 3);
        clock.advanceNanos(SECOND);
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
        assertThat(queue.waiting()).isZero();
        assertThat(queue.lines()).isZero();
        assertThat(clock.pendingTasks()).isZero();
        assertThat(port.localLimiter("k", TWO_PER_SECOND).snapshot().remaining())
                .isEqualTo(1);
    }

    @Test
    void aCallArrivingWhileOthersWait_joinsBehindThemWithoutAskingTheLimiter() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        waitFor(queue, "k", ONE_PER_SECOND);
        int asked = port.decisions.get();

        waitFor(queue, "k", ONE_PER_SECOND);

        assertThat(port.decisions.get()).isEqualTo(asked);
        assertThat(queue.waiting("k")).isEqualTo(2);
        assertThat(events.heard).containsExactly("refused k", "joined k behind 0", "joined k behind 1");
    }

    @Test
    void lines_ofDifferentKeysAreIndependent() {
        WaitQueue queue = queue();
        waitFor(queue, "a", ONE_PER_SECOND);
        CompletableFuture<Decision> waitingForA = waitFor(queue, "a", ONE_PER_SECOND);

        assertThat(outcome(waitFor(queue, "b", ONE_PER_SECOND))).isEqualTo(Decision.Outcome.ALLOWED);
        assertThat(waitingForA).isNotDone();
        assertThat(queue.lines()).isEqualTo(1);
    }

    @Test
    void tenThousandWaitersOnOneKey_allCompleteInOrder() {
        WaitQueue queue = queue();
        LimitSpec hundredPerSecond = LimitSpec.fixedWindow(100, Duration.ofSeconds(1));
        queue.acquire("k", hundredPerSecond, 100, 10_000, FOREVER);
        List<Integer> order = new ArrayList<>(10_000);
        List<CompletableFuture<Decision>> waiters = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
            int id = i;
            CompletableFuture<Decision> waiter = queue.acquire("k", hundredPerSecond, 1, 10_000, FOREVER);
            waiter.thenAccept(decision -> order.add(id));
            waiters.add(waiter);
        }
        assertThat(outcome(queue.acquire("k", hundredPerSecond, 1, 10_000, FOREVER)))
                .isEqualTo(Decision.Outcome.QUEUE_FULL);

        clock.advanceNanos(100 * SECOND);

        assertThat(waiters).allMatch(waiter -> waiter.isDone() && waiter.join().allowed());
        assertThat(order).hasSize(10_000).isSorted();
        assertThat(queue.lines()).isZero();
    }

    // --- answers at once -------------------------------------------------------------------------

    @Test
    void fullLine_turnsTheCallAwayWithTheLastRefusalsFiguresAsTheyStandNow() {
        WaitQueue queue = queue();
        queue.acquire("k", ONE_PER_SECOND, 1, 2, FOREVER);
        queue.acquire("k", ONE_PER_SECOND, 1, 2, FOREVER);
        queue.acquire("k", ONE_PER_SECOND, 1, 2, FOREVER);
        clock.advanceNanos(SECOND / 4);

        Decision turnedAway = queue.acquire("k", ONE_PER_SECOND, 1, 2, FOREVER).join();

        assertThat(turnedAway.outcome()).isEqualTo(Decision.Outcome.QUEUE_FULL);
        assertThat(turnedAway.nanosUntilRetry()).isEqualTo(SECOND * 3 / 4);
        assertThat(queue.waiting("k")).isEqualTo(2);
        assertThat(events.heard).endsWith("turned away k");
    }

    @Test
    void fullLineAtTheFirstRefusal_answersQueueFullWithTheRefusalsFigures() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);

        Decision noRoom = queue.acquire("k", ONE_PER_SECOND, 1, 0, FOREVER).join();

        assertThat(noRoom.outcome()).isEqualTo(Decision.Outcome.QUEUE_FULL);
        assertThat(noRoom.nanosUntilRetry()).isEqualTo(SECOND);
        assertThat(queue.lines()).isZero();
        assertThat(events.heard).isEmpty(); // the limiter counted this refusal itself
    }

    @Test
    void moreThanTheLimit_isDeniedWithoutWaiting() {
        WaitQueue queue = queue();

        Decision decision = queue.acquire("k", TWO_PER_SECOND, 3, 10, FOREVER).join();

        assertThat(decision.outcome()).isEqualTo(Decision.Outcome.DENIED);
        assertThat(queue.lines()).isZero();
    }

    @Test
    void moreThanTheLimit_whileOthersWait_isTurnedAwayWithNoRetry() {
        WaitQueue queue = queue();
        waitFor(queue, "k", TWO_PER_SECOND);
        waitFor(queue, "k", TWO_PER_SECOND);
        waitFor(queue, "k", TWO_PER_SECOND);

        Decision decision = queue.acquire("k", TWO_PER_SECOND, 3, 10, FOREVER).join();

        assertThat(decision.outcome()).isEqualTo(Decision.Outcome.QUEUE_FULL);
        assertThat(decision.nanosUntilRetry()).isEqualTo(Decision.NEVER);
    }

    @Test
    void zeroTimeout_isDeniedWithoutWaiting_andTurnedAwayWhileOthersWait() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);

        assertThat(outcome(queue.acquire("k", ONE_PER_SECOND, 1, 10, 0))).isEqualTo(Decision.Outcome.DENIED);
        waitFor(queue, "k", ONE_PER_SECOND);
        assertThat(outcome(queue.acquire("k", ONE_PER_SECOND, 1, 10, 0))).isEqualTo(Decision.Outcome.QUEUE_FULL);
    }

    @Test
    void refusalOtherThanDenied_isAnsweredAsItIs() {
        KeyedRateLimiter fullStore = new KeyedRateLimiter() {
            @Override
            public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
                return CompletableFuture.completedFuture(Decision.tooManyKeys());
            }

            @Override
            public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
        };
        WaitQueue queue = WaitQueue.builder(fullStore, clock).build();

        assertThat(outcome(queue.acquire("k", ONE_PER_SECOND, 1, 10, FOREVER)))
                .isEqualTo(Decision.Outcome.TOO_MANY_KEYS);
        assertThat(queue.lines()).isZero();
    }

    @Test
    void acquire_badArguments_throw() {
        WaitQueue queue = queue();

        assertThatThrownBy(() -> queue.acquire("k", ONE_PER_SECOND, 0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("permits: 0 (expected: >= 1)");
        assertThatThrownBy(() -> queue.acquire("k", ONE_PER_SECOND, 1, -1, 1))
                .hasMessage("maxWaiters: -1 (expected: >= 0)");
        assertThatThrownBy(() -> queue.acquire("k", ONE_PER_SECOND, 1, 1, -1))
                .hasMessage("timeoutNanos: -1 (expected: >= 0)");
    }

    // --- leaving ---------------------------------------------------------------------------------

    @Test
    void timeout_leavesTheLine() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> impatient = queue.acquire("k", ONE_PER_SECOND, 1, 10, SECOND / 2);
        CompletableFuture<Decision> patient = waitFor(queue, "k", ONE_PER_SECOND);

        clock.advanceNanos(SECOND / 2);

        assertThat(outcome(impatient)).isEqualTo(Decision.Outcome.TIMED_OUT);
        assertThat(queue.waiting("k")).isEqualTo(1);
        clock.advanceNanos(SECOND / 2);
        assertThat(patient).isCompletedWithValueMatching(Decision::allowed);
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void admittedBeforeItsTimeout_leavesNoTimerBehind() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> waiter = queue.acquire("k", ONE_PER_SECOND, 1, 10, 10 * SECOND);

        clock.advanceNanos(SECOND);

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void cancel_leavesTheLine_andTheNextWaiterMovesUp() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> goneAway = queue.acquire("k", ONE_PER_SECOND, 1, 10, 10 * SECOND);
        CompletableFuture<Decision> next = waitFor(queue, "k", ONE_PER_SECOND);

        assertThat(goneAway.cancel(false)).isTrue();

        assertThat(queue.waiting("k")).isEqualTo(1);
        clock.advanceNanos(SECOND);
        assertThat(next).isCompletedWithValueMatching(Decision::allowed);
        assertThat(port.localLimiter("k", ONE_PER_SECOND).snapshot().remaining())
                .isZero();
        assertThat(events.heard).contains("left k after 0 ms", "admitted k after 1000 ms");
    }

    @Test
    void cancel_ofTheOnlyWaiter_retiresTheLineAndItsWake() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);

        waitFor(queue, "k", ONE_PER_SECOND).cancel(false);

        assertThat(queue.lines()).isZero();
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void cancel_ofAHeadAskingForMore_letsTheNextAskAtOnce() {
        WaitQueue queue = queue();
        LimitSpec bucket = LimitSpec.tokenBucket(4, 1, Duration.ofSeconds(1));
        queue.acquire("k", bucket, 4, 10, FOREVER);
        clock.advanceNanos(SECOND); // one token back
        CompletableFuture<Decision> big = queue.acquire("k", bucket, 3, 10, FOREVER);
        CompletableFuture<Decision> small = queue.acquire("k", bucket, 1, 10, FOREVER);

        big.cancel(false);

        assertThat(small).isCompletedWithValueMatching(Decision::allowed);
    }

    // --- waking ----------------------------------------------------------------------------------

    @Test
    void tokenBucket_waitersAreWokenWhenTokensRefill() {
        WaitQueue queue = queue();
        LimitSpec bucket = LimitSpec.tokenBucket(1, 4, Duration.ofSeconds(1));
        waitFor(queue, "k", bucket);
        CompletableFuture<Decision> first = waitFor(queue, "k", bucket);
        CompletableFuture<Decision> second = waitFor(queue, "k", bucket);

        clock.advanceNanos(SECOND / 4);
        assertThat(first).isCompletedWithValueMatching(Decision::allowed);
        assertThat(second).isNotDone();
        clock.advanceNanos(SECOND / 4);
        assertThat(second).isCompletedWithValueMatching(Decision::allowed);
    }

    @Test
    void concurrencyLimit_waiterIsAdmittedWhenAPermitComesBack() {
        WaitQueue queue = builder().withoutRecheck().build();
        Decision holder = waitFor(queue, "k", ONE_IN_FLIGHT).join();
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_IN_FLIGHT);
        clock.advanceNanos(100 * SECOND);
        assertThat(waiter).isNotDone();
        assertThat(clock.pendingTasks()).isZero();

        queue.release("k", ONE_IN_FLIGHT, 1, holder.lease());

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(port.releasedLeases()).containsExactly(holder.lease());
        assertThat(port.localLimiter("k", ONE_IN_FLIGHT).snapshot().used()).isEqualTo(1);
    }

    @Test
    void permitsReturned_asksForTheHeadNow() {
        WaitQueue queue = builder().withoutRecheck().build();
        waitFor(queue, "k", ONE_IN_FLIGHT);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_IN_FLIGHT);
        port.localLimiter("k", ONE_IN_FLIGHT).release(1); // given back by other means

        queue.permitsReturned("k");

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
    }

    @Test
    void refusalThatWaitingCannotEnd_isAskedAgainAfterTheRecheckInterval() {
        WaitQueue queue = builder().recheckInterval(Duration.ofMillis(500)).build();
        waitFor(queue, "k", ONE_IN_FLIGHT);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_IN_FLIGHT);
        port.localLimiter("k", ONE_IN_FLIGHT).release(1); // freed on another node: nobody signals

        clock.advanceNanos(500 * MILLI - 1);
        assertThat(waiter).isNotDone();
        clock.advanceNanos(1);
        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
    }

    @Test
    void currentSpec_isReadAtEachAskForTheHead() {
        AtomicReference<LimitSpec> policy = new AtomicReference<>(ONE_PER_SECOND);
        WaitQueue queue = builder().currentSpec(key -> policy.get()).build();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_PER_SECOND);
        LimitSpec reloaded = LimitSpec.fixedWindow(3, Duration.ofSeconds(1));
        policy.set(reloaded);

        clock.advanceNanos(SECOND);

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(port.lastAskedSpec).isEqualTo(reloaded);
    }

    @Test
    void withoutCurrentSpec_theHeadIsAskedForWithTheSpecItArrivedWith() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_PER_SECOND);
        waitFor(queue, "other", TWO_PER_SECOND);

        clock.advanceNanos(SECOND);

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(port.lastAskedSpec).isEqualTo(ONE_PER_SECOND);
    }

    // --- an asynchronous limiter -----------------------------------------------------------------

    @Test
    void waiting_worksOverALimiterThatAnswersLater() {
        port.answeringLater(clock, MILLI);
        WaitQueue queue = queue();
        List<CompletableFuture<Decision>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(waitFor(queue, "k", TWO_PER_SECOND));
        }

        clock.advanceNanos(10 * MILLI);
        assertThat(calls.stream().filter(CompletableFuture::isDone)).hasSize(2);
        clock.advanceNanos(SECOND);
        assertThat(calls.stream().filter(CompletableFuture::isDone)).hasSize(4);
        clock.advanceNanos(SECOND);
        assertThat(calls).allMatch(call -> call.isDone() && call.join().allowed());
        assertThat(queue.lines()).isZero();
    }

    @Test
    void permitsReturnedWhileTheHeadIsAsked_leadToAnotherAskAtOnce() {
        port.answeringLater(clock, 2 * MILLI);
        WaitQueue queue = builder().withoutRecheck().build();
        CompletableFuture<Decision> holder = waitFor(queue, "k", ONE_IN_FLIGHT);
        clock.advanceNanos(2 * MILLI);
        CompletableFuture<Decision> first = waitFor(queue, "k", ONE_IN_FLIGHT);
        CompletableFuture<Decision> second = waitFor(queue, "k", ONE_IN_FLIGHT);
        clock.advanceNanos(2 * MILLI);
        assertThat(first).isNotDone();

        queue.release("k", ONE_IN_FLIGHT, 1, holder.join().lease()); // the head is asked and admitted
        clock.advanceNanos(2 * MILLI);
        assertThat(first).isCompletedWithValueMatching(Decision::allowed);
        clock.advanceNanos(MILLI); // the second's ask was judged (refused) and its answer travels
        queue.release("k", ONE_IN_FLIGHT, 1, first.join().lease());
        clock.advanceNanos(3 * MILLI);

        assertThat(second).isCompletedWithValueMatching(Decision::allowed);
    }

    @Test
    void headThatLeftWhileAsked_passesItsGrantToTheNextInLine() {
        port.answeringLater(clock, MILLI);
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        clock.advanceNanos(MILLI);
        CompletableFuture<Decision> first = waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> second = waitFor(queue, "k", ONE_PER_SECOND);
        clock.advanceNanos(SECOND); // the head's ask at the roll is under way
        assertThat(first).isNotDone();

        first.cancel(false);
        clock.advanceNanos(MILLI);

        assertThat(second).isCompletedWithValueMatching(Decision::allowed);
        assertThat(port.releases.get()).isZero();
    }

    @Test
    void callCancelledWhileTheLimiterDecides_givesItsGrantBackOnce() {
        port.answeringLater(clock, MILLI);
        WaitQueue queue = queue();
        CompletableFuture<Decision> gone = waitFor(queue, "k", ONE_IN_FLIGHT);

        gone.cancel(false);
        gone.cancel(false);
        clock.advanceNanos(MILLI);

        assertThat(port.releasedLeases()).hasSize(1);
        assertThat(port.outstandingLeases()).isEmpty();
        assertThat(port.releasesOfUnknownLeases()).isZero();
    }

    @Test
    void decide_asksOnceWithoutRegardToTheLine_andGivesBackAGrantItsCallerLeft() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_PER_SECOND);

        assertThat(outcome(queue.decide("k", ONE_PER_SECOND, 1))).isEqualTo(Decision.Outcome.DENIED);
        clock.advanceNanos(SECOND);
        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
        assertThat(outcome(queue.decide("other", ONE_IN_FLIGHT, 1))).isEqualTo(Decision.Outcome.ALLOWED);

        port.answeringLater(clock, MILLI);
        CompletableFuture<Decision> gone = queue.decide("later", ONE_IN_FLIGHT, 1);
        gone.cancel(false);
        clock.advanceNanos(MILLI);
        assertThat(port.releasedLeases()).hasSize(1);
        assertThat(port.localLimiter("later", ONE_IN_FLIGHT).snapshot().used()).isZero();
    }

    @Test
    void limiterFailure_onTheFirstAsk_failsTheCall() {
        WaitQueue queue = queue();
        port.failing = true;

        CompletableFuture<Decision> call = waitFor(queue, "k", ONE_PER_SECOND);

        assertThat(call).isCompletedExceptionally();
        assertThatThrownBy(call::join)
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(LimiterUnavailableException.class);
    }

    @Test
    void limiterFailure_onTheHeadsAsk_failsTheHeadAndAsksForTheNext() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> first = waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> second = waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> third = waitFor(queue, "k", ONE_PER_SECOND);
        port.failing = true;

        clock.advanceNanos(SECOND);

        assertThat(first).isCompletedExceptionally();
        assertThat(second).isCompletedExceptionally();
        assertThat(third).isCompletedExceptionally();
        assertThat(queue.lines()).isZero();
    }

    // --- closing and listening -------------------------------------------------------------------

    @Test
    void close_answersEveryWaiterAndLaterCalls() {
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> other = waitFor(queue, "other", ONE_IN_FLIGHT);
        CompletableFuture<Decision> otherWaiter = waitFor(queue, "other", ONE_IN_FLIGHT);

        queue.close();

        assertThat(outcome(waiter)).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(outcome(otherWaiter)).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(outcome(other)).isEqualTo(Decision.Outcome.ALLOWED);
        assertThat(outcome(waitFor(queue, "k", ONE_PER_SECOND))).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(outcome(queue.decide("k", ONE_PER_SECOND, 1))).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(queue.lines()).isZero();
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void close_whileAFirstAskIsUnderWay_answersThatCallClosedIfRefused() {
        port.answeringLater(clock, MILLI);
        WaitQueue queue = queue();
        waitFor(queue, "k", ONE_PER_SECOND);
        clock.advanceNanos(MILLI);
        CompletableFuture<Decision> asking = waitFor(queue, "k", ONE_PER_SECOND);

        queue.close();
        clock.advanceNanos(MILLI);

        assertThat(outcome(asking)).isEqualTo(Decision.Outcome.CLOSED);
        assertThat(queue.lines()).isZero();
    }

    @Test
    void listener_hearsJoinsRefusalsAdmissionsAndTurnedAwayCalls() {
        WaitQueue queue = builder().build();
        queue.acquire("k", ONE_PER_SECOND, 1, 1, FOREVER);
        queue.acquire("k", ONE_PER_SECOND, 1, 1, FOREVER);
        queue.acquire("k", ONE_PER_SECOND, 1, 1, FOREVER);

        clock.advanceNanos(SECOND);

        assertThat(events.heard)
                .containsExactly("refused k", "joined k behind 0", "turned away k", "admitted k after 1000 ms");
    }

    @Test
    void listenerThatThrows_isLoggedAndTheQueueGoesOn() {
        WaitQueue queue = builder()
                .listener(new WaitQueue.Listener() {
                    @Override
                    public void joined(String key, int ahead) {
                        throw new IllegalStateException("listener bug");
                    }

                    @Override
                    public void left(String key, long waitedNanos, boolean admitted) {
                        throw new IllegalStateException("listener bug");
                    }
                })
                .build();
        waitFor(queue, "k", ONE_PER_SECOND);
        CompletableFuture<Decision> waiter = waitFor(queue, "k", ONE_PER_SECOND);

        clock.advanceNanos(SECOND);

        assertThat(waiter).isCompletedWithValueMatching(Decision::allowed);
    }
}
