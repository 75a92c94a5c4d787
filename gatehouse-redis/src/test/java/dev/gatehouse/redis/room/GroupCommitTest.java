package dev.gatehouse.redis.room;

import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

    private static final long WAIT_NANOS = 500_000_000L;

    private final ManualClock clock = new ManualClock();

    /** Calls waiting at most WAIT_NANOS on the test's clock. */
    private GroupCommit<Integer, String> batched(
            int mostPerBatch, Function<List<Integer>, CompletionStage<List<String>>> sender) {
        return new GroupCommit<>(
                mostPerBatch, WAIT_NANOS, clock, () -> new IllegalStateException("waited too long"), sender);
    }

    /** A sender whose batches are answered when the test says. */
    private static final class HeldSender {
        final List<List<Integer>> batches = new ArrayList<>();
        final List<CompletableFuture<List<String>>> replies = new ArrayList<>();

        synchronized CompletionStage<List<String>> send(List<Integer> calls) {
            batches.add(List.copyOf(calls));
            CompletableFuture<List<String>> reply = new CompletableFuture<>();
            replies.add(reply);
            return reply;
        }

        void answer(int batch) {
            replies.get(batch)
                    .complete(batches.get(batch).stream().map(c -> "r" + c).toList());
        }
    }

    @Test
    void callsMadeWhileABatchIsOut_goTogetherInTheNext_inTheirOrder() {
        HeldSender sender = new HeldSender();
        GroupCommit<Integer, String> calls = batched(10, sender::send);

        CompletionStage<String> first = calls.submit(1);
        List<CompletionStage<String>> later = List.of(calls.submit(2), calls.submit(3), calls.submit(4));
        assertThat(sender.batches).containsExactly(List.of(1));

        sender.answer(0);
        assertThat(await(first)).isEqualTo("r1");
        assertThat(sender.batches).containsExactly(List.of(1), List.of(2, 3, 4));
        assertThat(later.get(0).toCompletableFuture()).isNotDone();

        sender.answer(1);
        assertThat(later).extracting(stage -> await(stage)).containsExactly("r2", "r3", "r4");
        calls.submit(5);
        assertThat(sender.batches)
                .as("none in flight: the next call goes at once")
                .hasSize(3);
    }

    @Test
    void aBatchHoldsAtMostTheMostPerBatch() {
        HeldSender sender = new HeldSender();
        GroupCommit<Integer, String> calls = batched(3, sender::send);
        for (int i = 0; i < 8; i++) {
            calls.submit(i);
        }
        sender.answer(0);
        sender.answer(1);
        sender.answer(2);
        assertThat(sender.batches).containsExactly(List.of(0), List.of(1, 2, 3), List.of(4, 5, 6), List.of(7));
    }

    @Test
    void aFailedBatch_failsEachOfItsCalls_andTheNextBatchStillGoes() {
        HeldSender sender = new HeldSender();
        GroupCommit<Integer, String> calls = batched(10, sender::send);
        CompletionStage<String> first = calls.submit(1);
        CompletionStage<String> second = calls.submit(2);
        CompletionStage<String> third = calls.submit(3);

        sender.replies.get(0).completeExceptionally(new IllegalStateException("store down"));
        assertThat(failure(first)).hasMessage("store down");
        sender.replies.get(1).complete(List.of("only one")); // two calls, one answer
        assertThat(failure(second)).hasMessageContaining("a batch of 2 calls got 1 answers");
        assertThat(failure(third)).hasMessageContaining("a batch of 2 calls got 1 answers");

        CompletionStage<String> fourth = calls.submit(4);
        sender.answer(2);
        assertThat(await(fourth)).isEqualTo("r4");
    }

    /**
     * A store that stalls: the batch in flight neither answers nor fails for a while. The calls
     * behind it that waited past the bound are failed at the next call (not kept, not sent late),
     * and the batch after the stall holds only the calls still within it.
     */
    @Test
    void callsThatWaitedPastTheBound_areFailedAtTheNextCall_andNeverSent() {
        HeldSender sender = new HeldSender();
        GroupCommit<Integer, String> calls = batched(10, sender::send);
        calls.submit(1);
        CompletionStage<String> second = calls.submit(2);
        clock.advanceNanos(WAIT_NANOS / 2);
        CompletionStage<String> third = calls.submit(3);
        clock.advanceNanos(WAIT_NANOS / 2 + 1);
        assertThat(second.toCompletableFuture())
                .as("exactly at the bound: still waits")
                .isNotDone();
        clock.advanceNanos(1);

        CompletionStage<String> fourth = calls.submit(4);
        assertThat(failure(second)).hasMessage("waited too long");
        assertThat(third.toCompletableFuture()).isNotDone();

        clock.advanceNanos(WAIT_NANOS / 2);
        sender.answer(0);
        assertThat(failure(third)).hasMessage("waited too long");
        assertThat(sender.batches).containsExactly(List.of(1), List.of(4));
        sender.answer(1);
        assertThat(await(fourth)).isEqualTo("r4");
    }

    /** A sender that throws an Error (out of memory, say) fails its batch and leaves none stuck. */
    @Test
    void aSenderThatThrowsAnError_failsItsBatch_andTheNextStillGoes() {
        HeldSender held = new HeldSender();
        AtomicInteger sent = new AtomicInteger();
        GroupCommit<Integer, String> calls = batched(10, batch -> {
            if (sent.getAndIncrement() == 1) {
                throw new OutOfMemoryError("no room for the batch");
            }
            return held.send(batch);
        });
        CompletionStage<String> first = calls.submit(1);
        CompletionStage<String> second = calls.submit(2); // waits; its batch throws from first's completion
        held.answer(0);
        assertThat(await(first)).isEqualTo("r1");
        assertThat(failure(second)).isInstanceOf(OutOfMemoryError.class);

        CompletionStage<String> third = calls.submit(3);
        held.answer(1);
        assertThat(await(third)).isEqualTo("r3");
    }

    /**
     * A sender that fails before it sends (a client shut down) answers each batch at once: the
     * batches waiting behind go one after the other in a loop, not each from the one before's
     * completion (a hundred thousand nested completions would overflow the stack).
     */
    @Test
    void batchesThatFailAtOnce_neverDeepenTheStack() {
        HeldSender held = new HeldSender();
        AtomicInteger sent = new AtomicInteger();
        GroupCommit<Integer, String> calls = batched(1, batch -> {
            if (sent.getAndIncrement() == 0) {
                return held.send(batch);
            }
            throw new IllegalStateException("client shut down");
        });
        CompletionStage<String> first = calls.submit(0);
        List<CompletionStage<String>> waiting = new ArrayList<>();
        for (int i = 1; i <= 100_000; i++) {
            waiting.add(calls.submit(i));
        }

        held.answer(0);
        assertThat(await(first)).isEqualTo("r0");
        assertThat(waiting).allSatisfy(stage -> assertThat(failure(stage)).hasMessage("client shut down"));
        assertThat(sent).hasValue(100_001);
    }

    /**
     * Four threads make calls while the batches are answered on a fifth: every call is sent exactly
     * once, gets its own answer, and there is never more than one batch in flight.
     */
    @Test
    void underConcurrentCalls_eachIsSentOnce_answeredItsOwn_withOneBatchInFlight() throws Exception {
        int threads = 4;
        int perThread = 25_000;
        ExecutorService answering = Executors.newSingleThreadExecutor();
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        try {
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger mostInFlight = new AtomicInteger();
            AtomicInteger largest = new AtomicInteger();
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            GroupCommit<Integer, String> calls = batched(64, batch -> {
                mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                largest.accumulateAndGet(batch.size(), Math::max);
                for (int call : batch) {
                    if (!seen.add(call)) {
                        duplicates.incrementAndGet();
                    }
                }
                List<String> answers = batch.stream().map(c -> "r" + c).toList();
                return CompletableFuture.supplyAsync(
                        () -> {
                            inFlight.decrementAndGet();
                            return answers;
                        },
                        answering);
            });

            List<Future<List<String>>> made = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * perThread;
                made.add(callers.submit(() -> {
                    List<CompletionStage<String>> stages = new ArrayList<>(perThread);
                    for (int i = first; i < first + perThread; i++) {
                        stages.add(calls.submit(i));
                    }
                    List<String> answers = new ArrayList<>(perThread);
                    stages.forEach(stage -> answers.add(await(stage)));
                    return answers;
                }));
            }
            for (int t = 0; t < threads; t++) {
                List<String> answers = made.get(t).get();
                for (int i = 0; i < perThread; i++) {
                    assertThat(answers.get(i)).isEqualTo("r" + (t * perThread + i));
                }
            }
            assertThat(seen).hasSize(threads * perThread);
            assertThat(duplicates).hasValue(0);
            assertThat(mostInFlight).hasValue(1);
            assertThat(largest.get()).isBetween(1, 64);
        } finally {
            callers.shutdownNow();
            answering.shutdownNow();
        }
    }
}
