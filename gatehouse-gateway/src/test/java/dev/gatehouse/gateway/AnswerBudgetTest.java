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

/** An answer's stream is full past its bound, or when its response is, and drains under half of it. */
final class AnswerBudgetTest {

    /** 100 bytes an answer. */
    private final AnswerBudget budget = new AnswerBudget(100);

    @Test
    void anAnswerIsFullAtItsBoundAndDrainsOnceUnderHalfOfIt() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, () -> {});
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
    void answersHoldEachTheirOwn() {
        Client unread = new Client();
        budget.bound(unread, () -> {}).write(bytes(100));
        WriteStream<Buffer> read = budget.bound(new Client(), () -> {});

        read.write(bytes(90));

        assertThat(read.writeQueueFull()).as("another answer's 100 unread").isFalse();
        assertThat(budget.held()).isEqualTo(190);
    }

    @Test
    void aWriteThatFailsHoldsNothing() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, () -> {});
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
        WriteStream<Buffer> answer = budget.bound(client, () -> {});
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
