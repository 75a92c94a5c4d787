package dev.gatehouse.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IdleSweepTest {

    private record Entry(boolean expired) {}

    @Test
    void step_afterAFloodOfKeysWasForgotten_looksOnlyAtTheLiveOnes() {
        ConcurrentHashMap<String, Entry> map = new ConcurrentHashMap<>();
        IdleSweep<Entry> sweep = new IdleSweep<>(map);
        for (int i = 0; i < 200_000; i++) {
            Entry flood = new Entry(true);
            map.put("flood-" + i, flood);
            sweep.added("flood-" + i, flood);
        }
        while (!map.isEmpty()) {
            sweep.step(4096, Entry::expired);
        }
        Entry live = new Entry(false);
        map.put("live", live);
        sweep.added("live", live);
        AtomicLong looks = new AtomicLong();

        assertThat(sweep.step(4096, entry -> {
                    looks.incrementAndGet();
                    return entry.expired();
                }))
                .isZero();

        assertThat(looks).hasValue(1);
    }

    @Test
    void step_replacedValues_areDroppedAndNeverPileUp() {
        ConcurrentHashMap<String, Entry> map = new ConcurrentHashMap<>();
        IdleSweep<Entry> sweep = new IdleSweep<>(map);
        for (int round = 0; round < 100; round++) {
            for (int i = 0; i < 1_000; i++) { // every key's value replaced each round
                Entry value = new Entry(false);
                map.put("k" + i, value);
                sweep.added("k" + i, value);
            }
            sweep.step(10, Entry::expired);
        }
        AtomicLong looks = new AtomicLong();

        sweep.step(10, entry -> looks.incrementAndGet() < 0);
        sweep.step(10, entry -> looks.incrementAndGet() < 0);

        assertThat(map).hasSize(1_000);
        assertThat(looks.get()).isLessThanOrEqualTo(2_000); // the stale entries were drained, not kept
    }

    @Test
    void step_removesExpiredEntriesAndKeepsTheOthers() {
        ConcurrentHashMap<String, Entry> map = new ConcurrentHashMap<>();
        IdleSweep<Entry> sweep = new IdleSweep<>(map);
        Entry old = new Entry(true);
        Entry fresh = new Entry(false);
        map.put("old", old);
        sweep.added("old", old);
        map.put("fresh", fresh);
        sweep.added("fresh", fresh);

        assertThat(sweep.step(10, Entry::expired)).isEqualTo(1);

        assertThat(map).containsOnlyKeys("fresh");
    }
}
