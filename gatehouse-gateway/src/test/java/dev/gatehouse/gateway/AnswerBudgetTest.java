package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** An answer's stream is full past its own bound or its connection's, and drains under half of both. */
final class AnswerBudgetTest {

    /** 100 bytes an answer, 120 a connection. */
    private final AnswerBudget budget = new AnswerBudget(100, 120);

    private final Object connection = new Object();

    @Test
    void anAnswerIsFullAtItsBoundAndDrainsOnceUnderHalfOfIt() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, connection);
        int[] drained = {0};

        answer.write(bytes(60));
        assertThat(answer.writeQueueFull()).isFalse();
        answer.write(bytes(40));
        assertThat(answer.writeQueueFull()).isTrue();
        answer.drainHandler(v -> drained[0]++);

        client.written(); // 40 held: 40% of the bound
        assertThat(drained[0]).isEqualTo(1);
        assertThat(answer.writeQueueFull()).isFalse();
        client.written();
        assertThat(drained[0]).as("drained once").isEqualTo(1);
        assertThat(budget.held()).isZero();
    }

    @Test
    void answersOnOneConnectionShareItsBound() {
        Client first = new Client();
        Client second = new Client();
        WriteStream<Buffer> one = budget.bound(first, connection);
        WriteStream<Buffer> other = budget.bound(second, connection);
        int[] drained = {0};

        one.write(bytes(90));
        other.write(bytes(40)); // 130 on the connection
        assertThat(other.writeQueueFull()).as("its own 40 under its bound").isTrue();
        other.drainHandler(v -> drained[0]++);

        first.written(); // the other answer's client reads: the connection is at 40
        assertThat(drained[0]).isEqualTo(1);
        assertThat(other.writeQueueFull()).isFalse();
    }

    @Test
    void answersOnOtherConnectionsDoNotShare() {
        budget.bound(new Client(), connection).write(bytes(90));
        WriteStream<Buffer> elsewhere = budget.bound(new Client(), new Object());

        elsewhere.write(bytes(40));

        assertThat(elsewhere.writeQueueFull()).isFalse();
        assertThat(budget.held()).isEqualTo(130);
    }

    @Test
    void aWriteThatFailsHoldsNothing() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, connection);
        int[] drained = {0};
        answer.write(bytes(120));
        answer.drainHandler(v -> drained[0]++);

        client.failed(); // the client went away

        assertThat(budget.held()).isZero();
        assertThat(drained[0]).isEqualTo(1);
    }

    @Test
    void anAnswerWaitsForItsClientsOwnQueueToo() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, connection);
        int[] drained = {0};
        answer.write(bytes(10));
        client.full = true; // Vert.x's own queue (an HTTP/2 stream waiting for its window)
        assertThat(answer.writeQueueFull()).isTrue();
        answer.drainHandler(v -> drained[0]++);

        client.written();
        assertThat(drained[0]).as("its client's queue still full").isZero();
        client.full = false;
        client.drain();

        assertThat(drained[0]).isEqualTo(1);
    }

    /**
     * The connection's share is forgotten when none of its answers holds anything, and made anew:
     * an answer that held nothing then counts in the new one.
     */
    @Test
    void anAnswerThatHeldNothingJoinsItsConnectionsNewShare() {
        Client earlier = new Client();
        WriteStream<Buffer> early = budget.bound(earlier, connection);
        early.write(bytes(10));
        earlier.written(); // nothing held on the connection: its share goes
        WriteStream<Buffer> later = budget.bound(new Client(), connection);
        later.write(bytes(100));

        early.write(bytes(30)); // 130 on the connection

        assertThat(early.writeQueueFull()).isTrue();
        assertThat(later.writeQueueFull()).isTrue();
    }

    private static Buffer bytes(int length) {
        return Buffer.buffer(new byte[length]);
    }

    /** A client's response whose writes complete when the test says, in order; full when told. */
    private static final class Client implements WriteStream<Buffer> {

        private final Deque<Promise<Void>> writes = new ArrayDeque<>();
        private @Nullable Handler<Void> drain;
        boolean full;

        void written() {
            writes.removeFirst().complete();
        }

        void failed() {
            writes.removeFirst().fail("the client went away");
        }

        void drain() {
            Handler<Void> handler = drain;
            if (handler != null) {
                handler.handle(null);
            }
        }

        @Override
        public Future<Void> write(Buffer data) {
            Promise<Void> written = Promise.promise();
            writes.addLast(written);
            return written.future();
        }

        @Override
        public boolean writeQueueFull() {
            return full;
        }

        @Override
        public WriteStream<Buffer> drainHandler(@Nullable Handler<Void> handler) {
            drain = handler;
            return this;
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(@Nullable Handler<Throwable> handler) {
            return this;
        }

        @Override
        public Future<Void> end() {
            return Future.succeededFuture();
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }
    }
}
