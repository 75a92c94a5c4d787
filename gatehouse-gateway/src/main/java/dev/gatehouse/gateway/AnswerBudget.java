package dev.gatehouse.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
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
 * fills no send buffer, so the listener's own bound on a full one never sees it.
 */
final class AnswerBudget {

    /** What one answer may hold: nginx's default proxy buffers are 8 × 4 KiB (+ 4 KiB), 64 KiB here. */
    static final int ANSWER_BYTES = 64 * 1024;

    private final @Nullable Vertx vertx;
    private final int answerBytes;
    private final long stallNanos;
    private final AtomicLong held = new AtomicLong();

    /** {@link #ANSWER_BYTES} an answer, given up after {@code stallMillis} without a byte taken (0 or less: never). */
    AnswerBudget(Vertx vertx, long stallMillis) {
        this(vertx, ANSWER_BYTES, stallMillis);
    }

    /** A budget of {@code answerBytes} an answer, never given up. */
    AnswerBudget(int answerBytes) {
        this(null, answerBytes, 0);
    }

    private AnswerBudget(@Nullable Vertx vertx, int answerBytes, long stallMillis) {
        this.vertx = vertx;
        this.answerBytes = answerBytes;
        this.stallNanos = vertx == null ? 0 : TimeUnit.MILLISECONDS.toNanos(stallMillis);
    }

    /** Bytes held for clients in all. */
    long held() {
        return held.get();
    }

    /**
     * {@code response} held to the budget; {@code stalled} runs when it waits and its client takes
     * nothing of it for the stall bound. Used on the answer's event loop.
     */
    WriteStream<Buffer> bound(WriteStream<Buffer> response, Runnable stalled) {
        return new Answer(response, stalled);
    }

    /** One answer's stream, full past the bound. */
    private final class Answer implements WriteStream<Buffer> {

        private final WriteStream<Buffer> response;
        private final Runnable stalled;
        private long bytes;
        private @Nullable Handler<Void> drain;
        private long lastTakenNanos;
        private long timer = -1;

        Answer(WriteStream<Buffer> response, Runnable stalled) {
            this.response = response;
            this.stalled = stalled;
        }

        @Override
        public Future<Void> write(Buffer data) {
            int length = data.length();
            Future<Void> written = response.write(data); // first: a response that is over throws, holding nothing
            bytes += length;
            held.addAndGet(length);
            return written.andThen(done -> released(length));
        }

        private void released(int length) {
            bytes -= length;
            held.addAndGet(-length);
            if (drain != null && stallNanos > 0) {
                lastTakenNanos = System.nanoTime(); // the client took some: the wait counts anew
            }
            drainIfUnder();
        }

        @Override
        public boolean writeQueueFull() {
            return bytes >= answerBytes || response.writeQueueFull();
        }

        @Override
        public WriteStream<Buffer> drainHandler(@Nullable Handler<Void> handler) {
            drain = handler;
            response.drainHandler(handler == null ? null : drained -> drainIfUnder());
            if (handler == null) {
                unwatch();
            } else {
                watch();
            }
            return this;
        }

        /** Waiting: the client must take something of the answer within the stall bound. */
        private void watch() {
            Vertx timers = vertx;
            if (timers == null || stallNanos <= 0) {
                return;
            }
            lastTakenNanos = System.nanoTime();
            if (timer < 0) { // looked at again when it fires, not made anew for each piece taken
                timer = timers.setTimer(TimeUnit.NANOSECONDS.toMillis(stallNanos) + 1, id -> check(timers));
            }
        }

        private void check(Vertx timers) {
            timer = -1;
            if (drain == null) {
                return;
            }
            long waitedNanos = System.nanoTime() - lastTakenNanos;
            if (waitedNanos >= stallNanos) {
                drainHandler(null);
                stalled.run();
                return;
            }
            timer = timers.setTimer(TimeUnit.NANOSECONDS.toMillis(stallNanos - waitedNanos) + 1, id -> check(timers));
        }

        private void unwatch() {
            Vertx timers = vertx;
            if (timers != null && timer >= 0) {
                timers.cancelTimer(timer);
                timer = -1;
            }
        }

        /** Calls the drain handler once this answer is under half its bound and its response takes more. */
        private void drainIfUnder() {
            Handler<Void> handler = drain;
            if (handler == null || bytes > answerBytes / 2 || response.writeQueueFull()) {
                return;
            }
            drainHandler(null);
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
