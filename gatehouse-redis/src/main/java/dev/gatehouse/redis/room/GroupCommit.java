package dev.gatehouse.redis.room;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Calls sent in batches, one batch in flight at a time: a call made while none is in flight goes at
 * once, alone; calls made while one is in flight wait and go together (at most {@code mostPerBatch}
 * of them, in the order they were made) as soon as it is answered. Under light load every call is
 * a batch of one; under heavy load the batches grow by themselves, so what a batch costs beside its
 * calls (a round trip, a script's start, its keys) is paid once for many.
 *
 * <p>The sender answers a batch with one reply per call, in order; a batch that fails (or whose
 * reply does not have one answer per call) fails each of its calls, and the next batch still goes.
 * Safe for use from any thread; the calls' stages complete on the thread that completes the batch.
 */
final class GroupCommit<C, R> {

    private record Waiting<C, R>(C call, CompletableFuture<R> answer) {}

    private final Function<List<C>, CompletionStage<List<R>>> sender;
    private final int mostPerBatch;
    private final Object lock = new Object();
    private final ArrayDeque<Waiting<C, R>> waiting = new ArrayDeque<>();
    private boolean inFlight; // guarded by lock

    GroupCommit(int mostPerBatch, Function<List<C>, CompletionStage<List<R>>> sender) {
        this.mostPerBatch = Require.inRange("mostPerBatch", mostPerBatch, 1, Integer.MAX_VALUE);
        this.sender = sender;
    }

    /** {@code call}'s reply, once the batch it goes in is answered. */
    CompletionStage<R> submit(C call) {
        CompletableFuture<R> answer = new CompletableFuture<>();
        List<Waiting<C, R>> batch;
        synchronized (lock) {
            waiting.add(new Waiting<>(call, answer));
            if (inFlight) {
                return answer;
            }
            inFlight = true;
            batch = takeBatch();
        }
        sendFrom(batch);
        return answer;
    }

    /**
     * Sends {@code first}, then each batch that is waiting when the one before is answered. A batch
     * answered at once (a sender that fails before sending) is followed in this loop, not by a call
     * from its completion: a run of such batches never deepens the stack.
     */
    private void sendFrom(List<Waiting<C, R>> first) {
        for (List<Waiting<C, R>> batch = first; batch != null; ) {
            CompletableFuture<List<R>> replies = send(batch);
            if (!replies.isDone()) {
                List<Waiting<C, R>> sent = batch;
                replies.whenComplete((answers, failure) -> {
                    List<Waiting<C, R>> next = nextBatch();
                    if (next != null) {
                        sendFrom(next); // before the answers: the store works on it while they are handled
                    }
                    answer(sent, answers, failure);
                });
                return;
            }
            List<Waiting<C, R>> next = nextBatch();
            List<Waiting<C, R>> sent = batch;
            replies.whenComplete((answers, failure) -> answer(sent, answers, failure)); // done: runs here, now
            batch = next;
        }
    }

    private CompletableFuture<List<R>> send(List<Waiting<C, R>> batch) {
        List<C> calls = new ArrayList<>(batch.size());
        for (Waiting<C, R> call : batch) {
            calls.add(call.call());
        }
        try {
            return sender.apply(calls).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The batch to send next, or null (and none in flight) when no call waits. */
    private @Nullable List<Waiting<C, R>> nextBatch() {
        synchronized (lock) {
            if (waiting.isEmpty()) {
                inFlight = false;
                return null;
            }
            return takeBatch();
        }
    }

    private List<Waiting<C, R>> takeBatch() {
        List<Waiting<C, R>> batch = new ArrayList<>(Math.min(waiting.size(), mostPerBatch));
        while (!waiting.isEmpty() && batch.size() < mostPerBatch) {
            batch.add(waiting.poll());
        }
        return batch;
    }

    private static <C, R> void answer(
            List<Waiting<C, R>> batch, @Nullable List<R> answers, @Nullable Throwable failure) {
        if (failure == null && answers != null && answers.size() == batch.size()) {
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer().complete(answers.get(i));
            }
            return;
        }
        Throwable problem = failure != null
                ? Failures.cause(failure)
                : new IllegalStateException("a batch of " + batch.size() + " calls got "
                        + (answers == null ? "no" : answers.size()) + " answers");
        for (Waiting<C, R> call : batch) {
            call.answer().completeExceptionally(problem);
        }
    }
}
