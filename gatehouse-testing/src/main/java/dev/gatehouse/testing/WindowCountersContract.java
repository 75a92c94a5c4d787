package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.window.WindowCounters;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link WindowCounters}, for every implementation: counts answered after each add,
 * a zero add only reading, counters apart by key, and no count lost or given twice when threads add
 * to one counter at once.
 */
public abstract class WindowCountersContract {

    /** For subclasses. */
    protected WindowCountersContract() {}

    /** The counters under test, holding no counter of the keys this contract makes up. */
    protected abstract WindowCounters counters();

    private static String key(String name) {
        return "contract:" + UUID.randomUUID() + ":" + name;
    }

    private long[] add(List<String> keys, long... hits) {
        long[] ttl = new long[keys.size()];
        java.util.Arrays.fill(ttl, 60);
        return counters().add(keys, hits, ttl).toCompletableFuture().join();
    }

    @Test
    void eachAddAnswersTheCountAfterItAndZeroOnlyReads() {
        String a = key("a");
        String b = key("b");
        assertThat(add(List.of(a, b), 1, 5)).containsExactly(1, 5);
        assertThat(add(List.of(a), 3)).containsExactly(4);
        assertThat(add(List.of(a, b), 0, 0)).containsExactly(4, 5);
        assertThat(add(List.of(key("new")), 0)).containsExactly(0);
        assertThat(add(List.of())).isEmpty();
    }

    /** A count stops at 2^52, past every limit, and never wraps, however much is added. */
    @Test
    void aCountStopsAtSaturationAndNeverWraps() {
        String big = key("big");
        long half = 1L << 51;
        assertThat(add(List.of(big), half)).containsExactly(half);
        assertThat(add(List.of(big), half)).containsExactly(1L << 52);
        assertThat(add(List.of(big), half)).containsExactly(1L << 52);
        assertThat(add(List.of(big), 1)).containsExactly(1L << 52);
    }

    /** Threads adding one at a time to one counter get every count from 1 to their total, each once. */
    @Test
    void concurrentAddsLoseNoCountAndGiveNoneTwice() throws InterruptedException {
        String shared = key("shared");
        int threads = 6;
        int each = 300;
        long total = (long) threads * each;
        Set<Long> answered = ConcurrentHashMap.newKeySet();
        Race.run(threads, () -> {
            for (int i = 0; i < each; i++) {
                answered.add(add(List.of(shared, key("own")), 1, 1)[0]);
            }
        });
        assertThat(answered).hasSize((int) total);
        assertThat(answered.stream().mapToLong(Long::longValue).max()).hasValue(total);
        assertThat(add(List.of(shared), 0)).containsExactly(total);
    }
}
