package dev.gatehouse.gateway;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What Vert.x's path may hold of upstream answers for clients that read slower than the upstream
 * sends: bytes handed to a client's response and not yet written to its connection, at most {@link
 * #ANSWER_BYTES} an answer and {@link #CONNECTION_BYTES} a client connection (an HTTP/2 one carries
 * many answers). Past either bound the answer's stream says it is full, so the pipe pauses the
 * upstream's body; it drains again once both are back under half. Vert.x's own bound (sixteen
 * writes a stream waiting for an HTTP/2 window) would let a client that opens no window hold
 * hundreds of kilobytes a stream.
 */
final class AnswerBudget {

    /** What one answer may hold: nginx's default proxy buffers are 8 × 4 KiB (+ 4 KiB), 64 KiB here. */
    static final int ANSWER_BYTES = 64 * 1024;

    /** What the answers on one client connection may hold together. */
    static final int CONNECTION_BYTES = 1024 * 1024;

    private final int answerBytes;
    private final int connectionBytes;
    private final Map<Object, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();

    AnswerBudget() {
        this(ANSWER_BYTES, CONNECTION_BYTES);
    }

    /** A budget of {@code answerBytes} an answer and {@code connectionBytes} a connection. */
    AnswerBudget(int answerBytes, int connectionBytes) {
        this.answerBytes = answerBytes;
        this.connectionBytes = connectionBytes;
    }

    /** Bytes held for clients in all. */
    long held() {
        return held.get();
    }

    /**
     * {@code response}, an answer on client {@code connection} (any object standing for it), held
     * to the budget. Used on the connection's event loop, as all its answers are.
     */
    WriteStream<Buffer> bound(WriteStream<Buffer> response, Object connection) {
        return new Answer(response, connections.computeIfAbsent(connection, Connection::new));
    }

    /** One client connection's share: what its answers hold, and those of them waiting to drain. */
    private final class Connection {

        private final Object key;
        private long held;
        private final List<Answer> waiting = new ArrayList<>(1);

        Connection(Object key) {
            this.key = key;
        }

        void add(long bytes) {
            held += bytes;
            AnswerBudget.this.held.addAndGet(bytes);
        }

        void release(long bytes) {
            held -= bytes;
            AnswerBudget.this.held.addAndGet(-bytes);
            if (held <= connectionBytes / 2 && !waiting.isEmpty()) {
                for (Answer answer : List.copyOf(waiting)) {
                    answer.drainIfUnder();
                }
            }
            if (held == 0 && waiting.isEmpty()) { // nothing held: the entry goes, made anew by the next answer
                connections.remove(key, this);
            }
        }
    }

    /** One answer's stream, full past either bound. */
    private final class Answer implements WriteStream<Buffer> {

        private final WriteStream<Buffer> response;
        private Connection connection;
        private long held;
        private @Nullable Handler<Void> drain;

        Answer(WriteStream<Buffer> response, Connection connection) {
            this.response = response;
            this.connection = connection;
        }

        @Override
        public Future<Void> write(Buffer data) {
            long bytes = data.length();
            if (connection.held == 0 && connections.get(connection.key) != connection) {
                // its entry went while this answer held nothing: it joins the one in use now
                connection = connections.computeIfAbsent(connection.key, Connection::new);
            }
            held += bytes;
            connection.add(bytes);
            return response.write(data).andThen(written -> released(bytes));
        }

        private void released(long bytes) {
            held -= bytes;
            connection.release(bytes);
            drainIfUnder();
        }

        @Override
        public boolean writeQueueFull() {
            return held >= answerBytes || connection.held >= connectionBytes || response.writeQueueFull();
        }

        @Override
        public WriteStream<Buffer> drainHandler(@Nullable Handler<Void> handler) {
            drain = handler;
            if (handler == null) {
                connection.waiting.remove(this);
                response.drainHandler(null);
            } else {
                if (!connection.waiting.contains(this)) {
                    connection.waiting.add(this);
                }
                response.drainHandler(drained -> drainIfUnder());
            }
            return this;
        }

        /** Calls the drain handler once this answer and its connection are under half their bounds. */
        void drainIfUnder() {
            Handler<Void> handler = drain;
            if (handler == null
                    || held > answerBytes / 2
                    || connection.held > connectionBytes / 2
                    || response.writeQueueFull()) {
                return;
            }
            drain = null;
            connection.waiting.remove(this);
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
