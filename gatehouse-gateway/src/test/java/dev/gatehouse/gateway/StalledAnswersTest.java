package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * While requests wait a second for an upstream connection, as many stalled answers are given up,
 * the slowest readers first, none whose client took something within a second.
 */
final class StalledAnswersTest {

    /** The pool's dial bound: a request waiting this long is refused. */
    private static final long DIAL_NANOS = Duration.ofSeconds(5).toNanos();

    private final ManualClock clock = new ManualClock();
    private final ConnectionWaits waits = new ConnectionWaits(clock);
    private final StalledAnswers stalledAnswers = new StalledAnswers(waits, DIAL_NANOS, clock, clock);

    /**
     * A download through a rate limit took megabytes at once and then nothing for seconds: idler than
     * a client that stopped a moment ago, and far faster. The slowest go first, as many as wait, and
     * an answer taken at {@link StalledAnswers#KEEPS_BYTES_PER_SECOND} or faster never, however many
     * wait.
     */
    @Test
    void asManyAreGivenUpAsRequestsWaitedASecondTheSlowestReadersFirst() {
        Idle download = stalled(Duration.ofSeconds(6), 8_000_000, Duration.ofSeconds(8));
        Idle stoppedLongAgo = stalled(Duration.ofSeconds(9), 50_000, Duration.ofSeconds(10));
        Idle stoppedJustNow = stalled(Duration.ofSeconds(2), 20_000, Duration.ofSeconds(2));
        Idle stoppedAtFirst = stalled(Duration.ofSeconds(3), 0, Duration.ofSeconds(3));
        Idle reading = stalled(Duration.ofMillis(500), 100_000, Duration.ofSeconds(10)); // slow, but it took some
        waits.begin();
        waits.begin();

        clock.advance(Duration.ofMillis(999));
        assertThat(given(download, stoppedLongAgo, stoppedJustNow, stoppedAtFirst, reading))
                .as("nobody has waited a second")
                .isEmpty();
        clock.advance(Duration.ofMillis(1));
        assertThat(given(download, stoppedLongAgo, stoppedJustNow, stoppedAtFirst, reading))
                .containsExactly(stoppedLongAgo, stoppedAtFirst);

        waits.begin();
        waits.begin();
        waits.begin(); // more wait than answers are taken slowly
        clock.advance(Duration.ofSeconds(1));

        assertThat(given(download, stoppedLongAgo, stoppedJustNow, stoppedAtFirst, reading))
                .containsExactly(stoppedLongAgo, stoppedJustNow, stoppedAtFirst);
    }

    @Test
    void anAnswerTakenAtTheKeepingPaceIsKept() {
        long pace = StalledAnswers.KEEPS_BYTES_PER_SECOND;
        // ten seconds old when looked at
        Idle atThePace = stalled(Duration.ofSeconds(5), 10 * pace, Duration.ofSeconds(9));
        Idle justUnder = stalled(Duration.ofSeconds(5), 10 * pace - 1, Duration.ofSeconds(9));
        waits.begin();
        waits.begin();

        clock.advance(Duration.ofSeconds(1));

        assertThat(given(atThePace, justUnder)).containsExactly(justUnder);
    }

    /**
     * A client that made its receive buffer large took megabytes into it and reads nothing: fast over
     * its life, and kept through a pause a rate-limited download makes, but not past it.
     */
    @Test
    void aFastClientIdleForTenSecondsIsGivenUp() {
        Idle pausing = stalled(Duration.ofMillis(9_999), 8_000_000, Duration.ofSeconds(11));
        Idle stopped = stalled(Duration.ofSeconds(10), 8_000_000, Duration.ofSeconds(11));
        waits.begin();
        waits.begin();

        clock.advance(Duration.ofSeconds(1));

        assertThat(given(pausing, stopped)).containsExactly(stopped);
    }

    /**
     * A fast reader idle a second goes too, the slower first, but only for a request that would
     * otherwise be refused: one that has waited to within a second of the dial bound.
     */
    @Test
    void aFastReaderGoesForARequestAboutToBeRefused() {
        Idle download = stalled(Duration.ofSeconds(3), 8_000_000, Duration.ofSeconds(5));
        Idle faster = stalled(Duration.ofSeconds(3), 16_000_000, Duration.ofSeconds(5));
        waits.begin();

        clock.advance(Duration.ofMillis(3_999));
        assertThat(given(download, faster)).as("the request may still wait").isEmpty();
        clock.advance(Duration.ofMillis(1));

        assertThat(given(download, faster)).containsExactly(download);
    }

    /**
     * A client that takes a few hundred bytes at a time is never idle a second: where its TCP's
     * acknowledgements are counted, it is judged by its pace over the last ten seconds and more
     * while its answer waits for it, and given up for a waiting request once that pace is known to
     * be too slow (an attacker's probe held a pool this way: 600 bytes five times a second a
     * connection).
     */
    @Test
    void aClientTricklingIsGivenUpOnceItsPaceOverTenSecondsIsKnown() {
        Trickled trickling = new Trickled(0, 3_000, true);
        waits.begin();

        clock.advance(Duration.ofNanos(StalledAnswers.RECENT_NANOS));
        assertThat(trickling.givenUp)
                .as("its pace is known over less than ten seconds")
                .isFalse();
        clock.advance(Duration.ofNanos(StalledAnswers.LOOK_NANOS));

        assertThat(trickling.givenUp).isTrue();
    }

    /**
     * The same pace after megabytes taken at once (a receive buffer made large) is as slow: the
     * recent pace is judged, not the pace over the answer's life. A client taking at the keeping
     * pace keeps its answer however long requests wait, and so does one the kernel cannot count,
     * or one no longer held back.
     */
    @Test
    void theRecentPaceIsJudgedOnlyWhereCountedAndHeld() {
        Trickled afterABuffer = new Trickled(4_000_000, 3_000, true);
        Trickled keeping = new Trickled(0, StalledAnswers.KEEPS_BYTES_PER_SECOND, true);
        Trickled uncounted = new Trickled(0, 3_000, false);
        Trickled released = new Trickled(0, 3_000, true);
        waits.begin();
        waits.begin();
        waits.begin();
        waits.begin();

        clock.advance(Duration.ofNanos(StalledAnswers.RECENT_NANOS / 2));
        released.held = false;
        clock.advance(Duration.ofSeconds(20));

        assertThat(afterABuffer.givenUp).isTrue();
        assertThat(keeping.givenUp).isFalse();
        assertThat(uncounted.givenUp).isFalse();
        assertThat(released.givenUp).isFalse();
    }

    @Test
    void betweenEquallySlowReadersTheIdlestGoesFirst() {
        Idle idle = stalled(Duration.ofSeconds(3), 0, Duration.ofSeconds(5));
        Idle idler = stalled(Duration.ofSeconds(5), 0, Duration.ofSeconds(5));
        waits.begin();

        clock.advance(Duration.ofSeconds(1));

        assertThat(given(idle, idler)).containsExactly(idler);
    }

    @Test
    void anAnswerWhoseClientTookSomeWithinASecondIsNeverGivenUp() {
        Idle reading = stalled(Duration.ofMillis(999));
        Idle unread = stalled(Duration.ofSeconds(5));
        waits.begin();
        waits.begin();
        waits.begin(); // more wait than answers are idle

        clock.advance(Duration.ofSeconds(1));

        assertThat(given(reading, unread)).containsExactly(unread);
    }

    @Test
    void anAnswerWhoseClientTakesAgainIsNoLongerStalled() {
        Idle unread = stalled(Duration.ofSeconds(5));
        stalledAnswers.takes(unread);
        waits.begin();

        clock.advance(Duration.ofSeconds(2));

        assertThat(given(unread)).isEmpty();
        assertThat(stalledAnswers.size()).isZero();
    }

    @Test
    void aWaitThatEndsWantsNothingMore() {
        Idle unread = stalled(Duration.ofSeconds(5));
        waits.begin().end(); // served before a second

        clock.advance(Duration.ofSeconds(5));

        assertThat(given(unread)).isEmpty();
    }

    @Test
    void closedItLooksNoMore() {
        Idle unread = stalled(Duration.ofSeconds(5));
        waits.begin();

        stalledAnswers.close();
        clock.advance(Duration.ofSeconds(5));

        assertThat(given(unread)).isEmpty();
        assertThat(clock.pendingTasks()).isZero();
    }

    /**
     * Event loops stall and free answers while the pool's look runs on another thread: it never gives
     * up more than requests wait for, and what is stalled at the end is what was never taken out.
     */
    @Test
    void answersStallingAndTakingOnManyThreadsWhileLooksRun() throws Exception {
        ConnectionWaits.Wait first = waits.begin();
        ConnectionWaits.Wait second = waits.begin();
        clock.advance(Duration.ofSeconds(2)); // two have waited: each look may give up two
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> loops = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                loops.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 100_000; i++) {
                        StalledAnswers.Answer answer = new Unread();
                        stalledAnswers.stalls(answer);
                        if (i % 2 == 0) {
                            stalledAnswers.takes(answer);
                        }
                    }
                    return null;
                }));
            }
            start.await();
            int looks = 0;
            while (!done.get()) {
                int given = stalledAnswers.giveUpForWaits();
                if (given > 2) {
                    wrong.add("gave up " + given + " for two waits");
                }
                looks++;
                done.set(loops.stream().allMatch(Future::isDone));
            }
            for (Future<?> each : loops) {
                each.get(30, TimeUnit.SECONDS);
            }
            assertThat(looks).isPositive();
        } finally {
            pool.shutdownNow();
        }

        assertThat(wrong).isEmpty();
        assertThat(stalledAnswers.size()).as("the half never taken").isEqualTo(threads * 50_000);
        first.end();
        second.end();
        assertThat(stalledAnswers.giveUpForWaits()).isZero();
    }

    private Idle stalled(Duration idle) {
        return stalled(idle, 0, idle);
    }

    /** An answer of which its client took {@code taken} bytes over its {@code life} so far. */
    private Idle stalled(Duration idle, long taken, Duration life) {
        Idle answer = new Idle(idle.toNanos(), taken, clock.nowNanos() - life.toNanos());
        stalledAnswers.stalls(answer);
        return answer;
    }

    private static List<Idle> given(Idle... answers) {
        return java.util.Arrays.stream(answers).filter(a -> a.givenUp).toList();
    }

    /** An answer whose client has taken nothing for as long as it says; given up at once when asked. */
    private final class Idle implements StalledAnswers.Answer {

        private final long idleNanos;
        private final long takenBytes;
        private final long beganNanos;
        boolean givenUp;

        Idle(long idleNanos, long takenBytes, long beganNanos) {
            this.idleNanos = idleNanos;
            this.takenBytes = takenBytes;
            this.beganNanos = beganNanos;
        }

        @Override
        public long idleNanos() {
            return idleNanos;
        }

        @Override
        public long takenBytes() {
            return takenBytes;
        }

        @Override
        public boolean held() {
            return true;
        }

        @Override
        public long acknowledgedBytes() {
            return -1; // counted by the send buffer's size
        }

        @Override
        public long beganNanos() {
            return beganNanos;
        }

        @Override
        public void giveUp(long idleNanos) {
            givenUp = true;
            stalledAnswers.takes(this);
        }
    }

    /**
     * An answer held back by a client whose TCP acknowledged {@code firstBytes} at once and then
     * {@code bytesPerSecond}, never idle a second; given up at once when asked, unless it is to be
     * still idle (it never is).
     */
    private final class Trickled implements StalledAnswers.Answer {

        private final long firstBytes;
        private final long bytesPerSecond;
        private final long beganNanos = clock.nowNanos();
        private final boolean counted;
        boolean held = true;
        boolean givenUp;

        Trickled(long firstBytes, long bytesPerSecond, boolean counted) {
            this.firstBytes = firstBytes;
            this.bytesPerSecond = bytesPerSecond;
            this.counted = counted;
            stalledAnswers.stalls(this);
        }

        @Override
        public long idleNanos() {
            return Duration.ofMillis(200).toNanos();
        }

        @Override
        public long takenBytes() {
            return 0; // a send buffer larger than all it took
        }

        @Override
        public boolean held() {
            return held;
        }

        @Override
        public long acknowledgedBytes() {
            long nanos = clock.nowNanos() - beganNanos;
            return counted ? firstBytes + bytesPerSecond * nanos / 1_000_000_000L : -1;
        }

        @Override
        public long beganNanos() {
            return beganNanos;
        }

        @Override
        public void giveUp(long idleNanos) {
            if (idleNanos == 0 && held) {
                givenUp = true;
                stalledAnswers.takes(this);
            }
        }
    }

    /** An answer idle for ever, left stalled when given up (its event loop would look again). */
    private static final class Unread implements StalledAnswers.Answer {

        @Override
        public long idleNanos() {
            return Long.MAX_VALUE;
        }

        @Override
        public long takenBytes() {
            return 0;
        }

        @Override
        public boolean held() {
            return true;
        }

        @Override
        public long acknowledgedBytes() {
            return 0;
        }

        @Override
        public long beganNanos() {
            return 0;
        }

        @Override
        public void giveUp(long idleNanos) {}
    }
}
