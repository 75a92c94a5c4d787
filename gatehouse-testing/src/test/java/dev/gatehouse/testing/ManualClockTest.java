package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualClockTest {

    @Test
    void advance_runsDueTasksInTimeOrderAtTheirOwnTime() {
        ManualClock clock = new ManualClock(0);
        List<String> ran = new ArrayList<>();
        clock.schedule(() -> ran.add("b@" + clock.nowNanos()), 20);
        clock.schedule(() -> ran.add("a@" + clock.nowNanos()), 10);
        clock.schedule(() -> ran.add("c@" + clock.nowNanos()), 30);

        clock.advanceNanos(25);

        assertThat(ran).containsExactly("a@10", "b@20");
        assertThat(clock.nowNanos()).isEqualTo(25);
        assertThat(clock.pendingTasks()).isEqualTo(1);
    }

    @Test
    void advance_runsTasksScheduledByTasksWhenTheyFallDue() {
        ManualClock clock = new ManualClock(0);
        List<Long> ran = new ArrayList<>();
        clock.schedule(() -> clock.schedule(() -> ran.add(clock.nowNanos()), 5), 5);

        clock.advance(Duration.ofNanos(10));

        assertThat(ran).containsExactly(10L);
    }

    @Test
    void cancel_preventsTheRun() {
        ManualClock clock = new ManualClock(0);
        List<String> ran = new ArrayList<>();
        Scheduler.Task task = clock.schedule(() -> ran.add("x"), 1);
        task.cancel();
        task.cancel();

        clock.advanceNanos(10);

        assertThat(ran).isEmpty();
    }

    @Test
    void advance_negative_throws() {
        assertThatThrownBy(() -> new ManualClock().advanceNanos(-1)).hasMessage("nanos: -1 (expected: >= 0)");
    }
}
