package dev.gatehouse.core.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.WindowCountersContract;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The contract, and what only the memory counters do: expiry on their clock and a bounded table. */
class MemoryWindowCountersTest extends WindowCountersContract {

    private final ManualClock clock = new ManualClock();
    private final MemoryWindowCounters counters = new MemoryWindowCounters(clock, 100_000);

    @Override
    protected WindowCounters counters() {
        return counters;
    }

    private static long[] add(MemoryWindowCounters counters, String key, long ttl) {
        return counters.add(List.of(key), new long[] {1}, new long[] {ttl})
                .toCompletableFuture()
                .join();
    }

    @Test
    void aCounterIsForgottenWhenItsTimeIsOverAndAFullTableRefusesANewOne() {
        MemoryWindowCounters two = new MemoryWindowCounters(clock, 2);
        assertThat(add(two, "a", 10)).containsExactly(1);
        assertThat(add(two, "b", 20)).containsExactly(1);
        assertThat(add(two, "a", 10)).containsExactly(2);
        assertThatThrownBy(() -> add(two, "c", 10)).hasMessageContaining("all 2 places hold live counters");
        clock.advance(Duration.ofSeconds(10));
        assertThat(add(two, "c", 10)).as("a's time is over: its place is free").containsExactly(1);
        assertThatThrownBy(() -> add(two, "a", 10)).as("b and c are live").hasMessageContaining("all 2 places");
        clock.advance(Duration.ofSeconds(10));
        assertThat(add(two, "a", 10))
                .as("b's and c's time is over: a starts over")
                .containsExactly(1);
        assertThat(two.size()).as("the swept ones are gone").isEqualTo(1);
    }

    /** An add that needs more new counters than there is room for changes no counter. */
    @Test
    void anAddRefusedForWantOfRoomCountsNothing() {
        MemoryWindowCounters three = new MemoryWindowCounters(clock, 3);
        add(three, "a", 60);
        add(three, "b", 60);
        assertThatThrownBy(() -> three.add(List.of("a", "c", "d"), new long[] {1, 1, 1}, new long[] {60, 60, 60})
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("all 3 places hold live counters");
        assertThat(three.add(List.of("a", "b"), new long[] {0, 0}, new long[] {60, 60})
                        .toCompletableFuture()
                        .join())
                .as("a was not counted by the refused add")
                .containsExactly(1, 1);
        assertThat(three.add(List.of("c", "c"), new long[] {1, 1}, new long[] {60, 60})
                        .toCompletableFuture()
                        .join())
                .as("a key twice takes one place")
                .containsExactly(1, 2);
    }
}
