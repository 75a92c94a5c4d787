package dev.gatehouse.redis.room;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.time.NanoClock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
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
 * A call waits at most {@code mostWaitNanos} for its batch to go: when the one in flight is slow
 * (a store that stalls), the calls behind it that waited longer are failed with {@code tooLong}'s
 * failure, at the next call or when a batch is taken, so neither the wait nor the calls kept grow
 * past what arrives in that time. Safe for use from any thread; the calls' stages complete on the
 * thread that completes the batch (or fails them).
 */
final class GroupCommit<C, R> {

    private record Waiting<C, R>(C call, CompletableFuture<R> answer, long sinceNanos) {}

    private final Function<List<C>, CompletionStage<List<R>>> sender;
    private final int mostPerBatch;
    private final long mostWaitNanos;
    private final NanoClock clock;
    private final Supplier<Throwable> tooLong;
    private final Object lock = new Object();
    private final ArrayDeque<Waiting<C, R>> waiting = new ArrayDeque<>();
    private boolean inFlight; // guarded by lock

    GroupCommit(
            int mostPerBatch,
            long mostWaitNanos,
            NanoClock clock,
            Supplier<Throwable> tooLong,
            Function<List<C>, CompletionStage<List<R>>> sender) {
        this.mostPerBatch = Require.inRange("mostPerBatch", mostPerBatch, 1, Integer.MAX_VALUE);
        this.mostWaitNanos = Require.inRange("mostWaitNanos", mostWaitNanos, 1, Long.MAX_VALUE);
        this.clock = clock;
        this.tooLong = tooLong;
        this.sender = sender;
    }

    /** {@code call}'s reply, once the batch it goes in is answered. */
    CompletionStage<R> submit(C call) {
        CompletableFuture<R> answer = new CompletableFuture<>();
        List<Waiting<C, R>> batch = null;
        List<Waiting<C, R>> late;
        synchronized (lock) {
            long now = clock.nowNanos();
            late = takeLate(now);
            waiting.add(new Waiting<>(call, answer, now));
            if (!inFlight) {
                inFlight = true;
                batch = takeBatch();
            }
        }
        failLate(late);
        if (batch != null) {
            sendFrom(batch);
        }
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

    /** The batch's stage; a sender that throws (even an Error) fails the batch, never the loop. */
    private CompletableFuture<List<R>> send(List<Waiting<C, R>> batch) {
        try {
            List<C> calls = new ArrayList<>(batch.size());
            for (Waiting<C, R> call : batch) {
                calls.add(call.call());
            }
            return sender.apply(calls).toCompletableFuture();
        } catch (Throwable e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The batch to send next, or null (and none in flight) when no call waits; calls that waited too
     * long are failed on the way.
     */
    private @Nullable List<Waiting<C, R>> nextBatch() {
        List<Waiting<C, R>> late;
        List<Waiting<C, R>> batch = null;
        synchronized (lock) {
            late = takeLate(clock.nowNanos());
            if (waiting.isEmpty()) {
                inFlight = false;
            } else {
                batch = takeBatch();
            }
        }
        failLate(late);
        return batch;
    }

    private List<Waiting<C, R>> takeBatch() {
        List<Waiting<C, R>> batch = new ArrayList<>(Math.min(waiting.size(), mostPerBatch));
        while (!waiting.isEmpty() && batch.size() < mostPerBatch) {
            batch.add(waiting.poll());
        }
        return batch;
    }

    /** The calls at the head that have waited longer than the bound (the oldest come first). */
    private List<Waiting<C, R>> takeLate(long nowNanos) {
        List<Waiting<C, R>> late = List.of();
        Waiting<C, R> oldest;
        while ((oldest = waiting.peek()) != null && nowNanos - oldest.sinceNanos() > mostWaitNanos) {
            if (late.isEmpty()) {
                late = new ArrayList<>();
            }
            late.add(waiting.poll());
        }
        return late;
    }

    private void failLate(List<Waiting<C, R>> late) {
        if (late.isEmpty()) {
            return;
        }
        Throwable failure = tooLong.get();
        for (Waiting<C, R> call : late) {
            call.answer().completeExceptionally(failure);
        }
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
