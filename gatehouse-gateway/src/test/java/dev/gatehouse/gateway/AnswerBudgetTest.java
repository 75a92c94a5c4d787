package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * An answer's stream is full past its bound, or when its response is, and drains under half of it;
 * one waiting with nothing taken is given up after the stall bound, or a second under pressure.
 */
final class AnswerBudgetTest {

    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** A client connection the kernel says nothing of (no send buffer, no acknowledgements counted). */
    private static final AnswerBudget.ClientCount UNCOUNTED = new AnswerBudget.ClientCount() {
        @Override
        public long kernelBytes() {
            return 0;
        }

        @Override
        public long acknowledged() {
            return -1;
        }
    };

    private final ManualClock clock = new ManualClock();

    /** The requests waiting for a connection of the answers' pool, and what is given up for them. */
    private final StalledAnswers stalledAnswers = new StalledAnswers(
            new ConnectionWaits(clock), java.time.Duration.ofSeconds(5).toNanos(), clock, clock);

    /** 100 bytes an answer, given up after 30 s without a byte taken, or a second past 250 bytes in all. */
    private final AnswerBudget budget = new AnswerBudget(clock, clock, 100, STALL_NANOS, 250, stalledAnswers);

    @Test
    void anAnswerIsFullAtItsBoundAndDrainsOnceUnderHalfOfIt() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, Runnable::run, UNCOUNTED, () -> {});
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
        budget.bound(unread, Runnable::run, UNCOUNTED, () -> {}).write(bytes(100));
        WriteStream<Buffer> read = budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> {});

        read.write(bytes(90));

        assertThat(read.writeQueueFull()).as("another answer's 100 unread").isFalse();
        assertThat(budget.held()).isEqualTo(190);
    }

    @Test
    void aWriteThatFailsHoldsNothing() {
        Client client = new Client();
        WriteStream<Buffer> answer = budget.bound(client, Runnable::run, UNCOUNTED, () -> {});
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
        WriteStream<Buffer> answer = budget.bound(client, Runnable::run, UNCOUNTED, () -> {});
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

    @Test
    void anAnswerWaitingWithNothingTakenForTheStallBoundIsGivenUp() {
        Client client = new Client();
        int[] stalled = {0};
        WriteStream<Buffer> answer = budget.bound(client, Runnable::run, UNCOUNTED, () -> stalled[0]++);
        answer.write(bytes(100));
        answer.drainHandler(v -> {});

        clock.advanceNanos(STALL_NANOS - 1);
        assertThat(stalled[0]).isZero();
        clock.advanceNanos(1);

        assertThat(stalled[0]).isEqualTo(1);
        assertThat(budget.givenUp()).isEqualTo(1);
        clock.advance(java.time.Duration.ofMinutes(5));
        assertThat(stalled[0]).as("given up once").isEqualTo(1);
    }

    @Test
    void eachByteTheClientTakesStartsTheWaitAnew() {
        Client client = new Client();
        int[] stalled = {0};
        WriteStream<Buffer> answer = budget.bound(client, Runnable::run, UNCOUNTED, () -> stalled[0]++);
        answer.write(bytes(40));
        answer.write(bytes(40));
        answer.write(bytes(40));
        answer.drainHandler(v -> {});

        clock.advance(java.time.Duration.ofSeconds(20));
        client.written(); // 80 left: still waiting, but the client took some
        clock.advance(java.time.Duration.ofSeconds(29));
        assertThat(stalled[0]).isZero();
        clock.advance(java.time.Duration.ofSeconds(1));

        assertThat(stalled[0]).isEqualTo(1);
    }

    @Test
    void anAnswerThatDrainsIsNotGivenUp() {
        Client client = new Client();
        int[] stalled = {0};
        WriteStream<Buffer> answer = budget.bound(client, Runnable::run, UNCOUNTED, () -> stalled[0]++);
        answer.write(bytes(100));
        answer.drainHandler(v -> {});

        client.written();
        clock.advance(java.time.Duration.ofMinutes(5));

        assertThat(stalled[0]).isZero();
        assertThat(clock.pendingTasks())
                .as("its timer cancelled: the pool's look alone")
                .isEqualTo(1);
        assertThat(stalledAnswers.size())
                .as("one of the pool's stalled answers to its end, no longer held")
                .isEqualTo(1);

        answer.drainHandler(null); // its pipe is over
        assertThat(stalledAnswers.size()).isZero();
    }

    @Test
    void pastTheBoundInAllAWaitingAnswerIsGivenUpAfterASecond() {
        int[] stalled = {0};
        WriteStream<Buffer> waiting = budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> stalled[0]++);
        waiting.write(bytes(100));
        waiting.drainHandler(v -> {});
        clock.advance(java.time.Duration.ofSeconds(5));
        assertThat(stalled[0]).as("under the bound in all").isZero();

        budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> {}).write(bytes(90));
        budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> {}).write(bytes(90)); // 280 held in all
        clock.advance(java.time.Duration.ofSeconds(1));

        assertThat(stalled[0]).isEqualTo(1);
    }

    /** Under pressure, no more are given up than bring what is held under the bound. */
    @Test
    void pastTheBoundInAllOnlyAsManyAreGivenUpAsBringItUnder() {
        int[] stalled = {0, 0};
        for (int i = 0; i < 2; i++) {
            int which = i;
            WriteStream<Buffer> waiting = budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> stalled[which]++);
            waiting.write(bytes(100));
            waiting.drainHandler(v -> {});
        }
        budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> {}).write(bytes(90)); // 290 held in all

        clock.advance(java.time.Duration.ofSeconds(1)); // the first given up: its 100 are going

        assertThat(stalled).containsExactly(1, 0);
        assertThat(budget.held()).as("until its reset fails its writes").isEqualTo(290);
    }

    /**
     * Answers nobody reads hold the upstream pool's connections: a waiting answer is one of the
     * pool's stalled answers, given up for a request that waits long for a connection, and is no
     * longer one once it drains or is over.
     */
    @Test
    void aWaitingAnswerIsGivenUpForARequestWaitingForAnUpstreamConnection() {
        int[] stalled = {0, 0};
        WriteStream<Buffer> unread = budget.bound(new Client(), Runnable::run, UNCOUNTED, () -> stalled[0]++);
        unread.write(bytes(100));
        unread.drainHandler(v -> {});
        Client slow = new Client();
        WriteStream<Buffer> read = budget.bound(slow, Runnable::run, UNCOUNTED, () -> stalled[1]++);
        read.write(bytes(40));
        read.write(bytes(40));
        read.write(bytes(40));
        read.drainHandler(v -> {});
        clock.advance(java.time.Duration.ofSeconds(5));
        assertThat(stalled).as("nobody waits for a connection").containsExactly(0, 0);
        assertThat(stalledAnswers.size()).isEqualTo(2);

        stalledAnswers.waits().begin(); // one waits: the slower of the two goes
        clock.advance(java.time.Duration.ofMillis(500));
        slow.written(); // its client took a piece half a second ago
        clock.advance(java.time.Duration.ofMillis(500));

        assertThat(stalled).containsExactly(1, 0);
        assertThat(budget.givenUp()).isEqualTo(1);
        assertThat(stalledAnswers.size())
                .as("the one given up is no longer waiting")
                .isEqualTo(1);
        slow.written();
        slow.written(); // drained
        assertThat(stalledAnswers.size()).as("its pipe goes on").isEqualTo(1);
        read.drainHandler(null);
        assertThat(stalledAnswers.size()).isZero();
    }

    @Test
    void withNoStallBoundAnAnswerWaitsForEver() {
        AnswerBudget patient = new AnswerBudget(clock, clock, 100, 0, 0, stalledAnswers);
        int[] stalled = {0};
        WriteStream<Buffer> answer = patient.bound(new Client(), Runnable::run, UNCOUNTED, () -> stalled[0]++);
        answer.write(bytes(100));
        answer.drainHandler(v -> {});
        stalledAnswers.waits().begin(); // nor for a request waiting for its connection

        clock.advance(java.time.Duration.ofDays(1));

        assertThat(stalled[0]).isZero();
        assertThat(stalledAnswers.size()).isZero();
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
