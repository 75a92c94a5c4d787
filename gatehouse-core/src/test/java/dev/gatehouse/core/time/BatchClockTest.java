package dev.gatehouse.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BatchClockTest {

    private final ManualClock source = new ManualClock(1_000);
    private final BatchClock clock = BatchClock.over(source);
    /** The joined thread's task queue: what it runs once the work at hand is done. */
    private final ArrayDeque<Runnable> afterWork = new ArrayDeque<>();

    @Test
    void aJoinedThread_keepsItsFirstReadingUntilTheBatchEnds() {
        clock.join(afterWork::add);

        assertThat(clock.nowNanos()).isEqualTo(1_000);
        source.advanceNanos(500);
        assertThat(clock.nowNanos()).isEqualTo(1_000);
        assertThat(afterWork).hasSize(1);

        endBatch();
        assertThat(clock.nowNanos()).isEqualTo(1_500);
    }

    @Test
    void aReading_answersAtMostReadsPerReadingTimes_andABatchHasOneEnd() {
        clock.join(afterWork::add);

        for (int i = 0; i < BatchClock.READS_PER_READING; i++) {
            assertThat(clock.nowNanos()).isEqualTo(1_000);
            source.advanceNanos(1);
        }
        assertThat(clock.nowNanos()).isEqualTo(1_000 + BatchClock.READS_PER_READING);
        assertThat(afterWork).hasSize(1);
    }

    @Test
    void threadsThatDidNotJoin_readTheSourceEveryTime() throws InterruptedException {
        clock.join(afterWork::add);
        clock.nowNanos();
        source.advanceNanos(700);

        AtomicLong elsewhere = new AtomicLong();
        Race.run(1, () -> elsewhere.set(clock.nowNanos()));

        assertThat(elsewhere).hasValue(1_700);
        assertThat(clock.nowNanos()).isEqualTo(1_000);
    }

    @Test
    void aLoopThatCannotTakeTheEnd_keepsNothing() {
        clock.join(task -> {
            throw new RejectedExecutionException("shutting down");
        });

        assertThat(clock.nowNanos()).isEqualTo(1_000);
        source.advanceNanos(10);
        assertThat(clock.nowNanos()).isEqualTo(1_010);
    }

    @Test
    void joiningAgain_keepsTheFirstLoopsBatch() {
        clock.join(afterWork::add);
        clock.join(task -> {
            throw new AssertionError("the second join is ignored");
        });

        assertThat(clock.nowNanos()).isEqualTo(1_000);
        assertThat(afterWork).hasSize(1);
        assertThat(clock.isMonotonic()).isFalse(); // kept readings trail other loops' fresh ones
    }

    private void endBatch() {
        for (Runnable task; (task = afterWork.poll()) != null; ) {
            task.run();
        }
    }
}
