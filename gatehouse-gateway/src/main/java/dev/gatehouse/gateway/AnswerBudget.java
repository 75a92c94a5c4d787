package dev.gatehouse.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
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
 * connection bounds them together.
 */
final class AnswerBudget {

    /** What one answer may hold: nginx's default proxy buffers are 8 × 4 KiB (+ 4 KiB), 64 KiB here. */
    static final int ANSWER_BYTES = 64 * 1024;

    private final int answerBytes;
    private final AtomicLong held = new AtomicLong();

    AnswerBudget() {
        this(ANSWER_BYTES);
    }

    /** A budget of {@code answerBytes} an answer. */
    AnswerBudget(int answerBytes) {
        this.answerBytes = answerBytes;
    }

    /** Bytes held for clients in all. */
    long held() {
        return held.get();
    }

    /** {@code response} held to the budget. Used on the answer's event loop. */
    WriteStream<Buffer> bound(WriteStream<Buffer> response) {
        return new Answer(response);
    }

    /** One answer's stream, full past the bound. */
    private final class Answer implements WriteStream<Buffer> {

        private final WriteStream<Buffer> response;
        private long bytes;
        private @Nullable Handler<Void> drain;

        Answer(WriteStream<Buffer> response) {
            this.response = response;
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
            return this;
        }

        /** Calls the drain handler once this answer is under half its bound and its response takes more. */
        private void drainIfUnder() {
            Handler<Void> handler = drain;
            if (handler == null || bytes > answerBytes / 2 || response.writeQueueFull()) {
                return;
            }
            drain = null;
            response.drainHandler(null);
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
