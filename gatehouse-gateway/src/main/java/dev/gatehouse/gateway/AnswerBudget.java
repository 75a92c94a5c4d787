package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What Vert.x's path may hold of an upstream answer for a client that reads slower than the
 * upstream sends: bytes handed to the client's response and not yet written to its connection, at
 * most {@link #ANSWER_BYTES} an answer. Past it the answer's stream says it is full, so the pipe
 * pauses the upstream's body; it drains again under half. Vert.x's own bound (sixteen writes a
 * stream waiting for an HTTP/2 window) would let a client that opens no window hold hundreds of
 * kilobytes a stream. The bound is an answer's, not a connection's: answers a client leaves unread
 * must not hold back the others on its HTTP/2 connection; the listener's bound on streams a
 * connection bounds them together. An answer that waits and whose client takes none of it for the
 * stall bound (the listener's {@code write}) is given up: an HTTP/2 client that opens no window
 * fills no send buffer, so the listener's own bound on a full one never sees it. While the answers
 * held in all are past their bound (as long as what is not already going stays past it), one that
 * waits is given up after {@link #PRESSED_STALL_NANOS} without a byte taken instead. An answer that
 * waits is also one of the pool's {@link StalledAnswers}, given up when requests wait for its
 * upstream connection. What a client takes is counted by the pieces written (the upstream's, up to
 * 8 KiB), not by the byte.
 */
final class AnswerBudget {

    /** What one answer may hold: nginx's default proxy buffers are 8 × 4 KiB (+ 4 KiB), 64 KiB here. */
    static final int ANSWER_BYTES = 64 * 1024;

    /** The share of the heap (a quarter) the answers held in all may take before waiting ones go sooner. */
    static final int HELD_SHARE_OF_HEAP = 4;

    /** How long an answer may wait with nothing taken while the answers held in all are past their bound. */
    static final long PRESSED_STALL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final NanoClock clock;
    private final Scheduler timers;
    private final int answerBytes;
    private final long stallNanos;
    private final long totalBytes;
    private final StalledAnswers stalledAnswers;
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong givenUp = new AtomicLong();
    /** What answers given up still hold until their resets fail their writes: as good as let go. */
    private final AtomicLong lettingGo = new AtomicLong();

    /**
     * {@code answerBytes} an answer; one waiting is given up after {@code stallNanos} with nothing
     * taken (0 or less: never, and none is one of the {@code stalledAnswers} of its pool either), or
     * {@link #PRESSED_STALL_NANOS} while more than {@code totalBytes} are held in all. {@code timers}
     * run their tasks on the event loop that asked for them.
     */
    AnswerBudget(
            NanoClock clock,
            Scheduler timers,
            int answerBytes,
            long stallNanos,
            long totalBytes,
            StalledAnswers stalledAnswers) {
        this.clock = clock;
        this.timers = timers;
        this.answerBytes = answerBytes;
        this.stallNanos = stallNanos;
        this.totalBytes = totalBytes;
        this.stalledAnswers = stalledAnswers;
    }

    /** Vert.x's timers: a task runs on the event loop (the context) that scheduled it. */
    static Scheduler onEventLoop(Vertx vertx) {
        return (task, delayNanos) -> {
            long id = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos) + 1), fired -> task.run());
            return () -> vertx.cancelTimer(id);
        };
    }

    /** Bytes held for clients in all. */
    long held() {
        return held.get();
    }

    /** Answers given up so far: their clients took nothing of them for the stall bound. */
    long givenUp() {
        return givenUp.get();
    }

    /**
     * {@code response} held to the budget; {@code stalled} runs when it is given up. Used on the
     * answer's event loop, {@code loop}; {@code client} says of the bytes written to the client's
     * connection how many it took (asked from any thread).
     */
    WriteStream<Buffer> bound(WriteStream<Buffer> response, Executor loop, ClientCount client, Runnable stalled) {
        return new Answer(response, loop, client, stalled);
    }

    /** What the kernel says of an answer's client connection. */
    interface ClientCount {

        /** How much of what is written the kernel may still hold for the client (its send buffer's size). */
        long kernelBytes();

        /**
         * How many bytes the client's TCP has acknowledged, from any start ({@link
         * StalledAnswers.Answer#acknowledgedBytes}); -1 where the kernel cannot say.
         */
        long acknowledged();
    }

    /** One answer's stream, full past the bound. */
    private final class Answer implements WriteStream<Buffer>, StalledAnswers.Answer {

        private final WriteStream<Buffer> response;
        private final Executor loop;
        private final ClientCount client;
        private final Runnable stalled;
        private final long beganNanos = clock.nowNanos();
        private long bytes;
        private long written; // to the client's connection
        private volatile long takenBytes; // written as of its wait, for StalledAnswers
        private boolean abandoned;
        private volatile @Nullable Handler<Void> drain; // while waiting: its client holds it back
        private volatile long lastTakenNanos; // read by the pool's StalledAnswers too
        private boolean stalls; // one of the pool's StalledAnswers, from its first wait to its pipe's end
        private Scheduler.@Nullable Task timer;

        Answer(WriteStream<Buffer> response, Executor loop, ClientCount client, Runnable stalled) {
            this.response = response;
            this.loop = loop;
            this.client = client;
            this.stalled = stalled;
        }

        @Override
        public Future<Void> write(Buffer data) {
            int length = data.length();
            Future<Void> written = response.write(data); // first: a response that is over throws, holding nothing
            bytes += length;
            held.addAndGet(length);
            if (abandoned) { // a piece its pipe still sent: going with the rest
                lettingGo.addAndGet(length);
            }
            return written.andThen(done -> released(length));
        }

        private void released(int length) {
            bytes -= length;
            written += length;
            held.addAndGet(-length);
            if (abandoned) {
                lettingGo.addAndGet(-length);
            }
            if (drain != null && stallNanos > 0) {
                lastTakenNanos = clock.nowNanos(); // the client took some: the wait counts anew
                takenBytes = written;
            }
            drainIfUnder();
        }

        @Override
        public boolean writeQueueFull() {
            return bytes >= answerBytes || response.writeQueueFull();
        }

        /**
         * The pipe waits for it to drain ({@code handler}), or is over (null): then it is no longer
         * one of the stalled answers.
         */
        @Override
        public WriteStream<Buffer> drainHandler(@Nullable Handler<Void> handler) {
            if (handler == null) {
                unwatch();
                if (stalls) {
                    stalls = false;
                    stalledAnswers.takes(this);
                }
                return this;
            }
            drain = handler;
            response.drainHandler(drained -> drainIfUnder());
            watch();
            return this;
        }

        /**
         * Waiting: the client must take something of the answer within the stall bound. One of the
         * stalled answers from its first wait to its end, not each wait's: its recent pace is judged
         * over more than its waits last while it trickles.
         */
        private void watch() {
            if (stallNanos <= 0) {
                return;
            }
            lastTakenNanos = clock.nowNanos();
            takenBytes = written;
            if (!stalls) {
                stalls = true;
                stalledAnswers.stalls(this);
            }
            if (timer == null) { // looked at again when it fires, not made anew for each piece taken
                timer = timers.schedule(this::check, Math.min(stallNanos, PRESSED_STALL_NANOS));
            }
        }

        /** Gives the answer up if it waited too long, else looks again (within a second: pressure may come). */
        private void check() {
            timer = null;
            if (drain == null) {
                return;
            }
            boolean pressed = held.get() - lettingGo.get() > totalBytes; // not counting what is going already
            long boundNanos = pressed ? Math.min(stallNanos, PRESSED_STALL_NANOS) : stallNanos;
            long waitedNanos = clock.nowNanos() - lastTakenNanos;
            if (waitedNanos >= boundNanos) {
                abandon();
                return;
            }
            timer = timers.schedule(this::check, Math.min(boundNanos - waitedNanos, PRESSED_STALL_NANOS));
        }

        @Override
        public long idleNanos() {
            return clock.nowNanos() - lastTakenNanos;
        }

        @Override
        public long takenBytes() {
            return Math.max(0, takenBytes - client.kernelBytes());
        }

        @Override
        public boolean held() {
            return drain != null;
        }

        @Override
        public long acknowledgedBytes() {
            return client.acknowledged();
        }

        @Override
        public long beganNanos() {
            return beganNanos;
        }

        @Override
        public void giveUp(long idleNanos) {
            loop.execute(() -> {
                if (drain != null && idleNanos() >= idleNanos) {
                    abandon();
                }
            });
        }

        private void abandon() {
            drainHandler(null);
            givenUp.incrementAndGet();
            abandoned = true;
            lettingGo.addAndGet(bytes);
            stalled.run();
        }

        /** No longer waiting for its client (drained, or over). */
        private void unwatch() {
            drain = null;
            response.drainHandler(null);
            Scheduler.Task pending = timer;
            if (pending != null) {
                pending.cancel();
                timer = null;
            }
        }

        /** Calls the drain handler once this answer is under half its bound and its response takes more. */
        private void drainIfUnder() {
            Handler<Void> handler = drain;
            if (handler == null || bytes > answerBytes / 2 || response.writeQueueFull()) {
                return;
            }
            unwatch();
            handler.handle(null);
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(@Nullable Handler<Throwable> handler) {
            response.exceptionHandler(handler);
            return this;
        }

        @Override
        public Future<Void> end() {
            return response.end();
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            response.setWriteQueueMaxSize(maxSize);
            return this;
        }
    }
}
