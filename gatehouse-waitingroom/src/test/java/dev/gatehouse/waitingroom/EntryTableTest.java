package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EntryTableTest {

    /** Counts how often the table reads the hashes it keeps: each read is a step of a chain walk or an entry moved. */
    private static final class Counted implements EntryTable.Linked<Counted> {
        static long hashReads;
        final String id;
        int hash;

        @Nullable
        Counted next;

        Counted(String id) {
            this.id = id;
        }

        @Override
        public String key() {
            return id;
        }

        @Override
        public int keyHash() {
            hashReads++;
            return hash;
        }

        @Override
        public void keyHash(int hash) {
            this.hash = hash;
        }

        @Override
        public @Nullable Counted nextInChain() {
            return next;
        }

        @Override
        public void nextInChain(@Nullable Counted next) {
            this.next = next;
        }
    }

    /** 2^blocks distinct ids with one and the same {@code String.hashCode}: "Aa" and "BB" hash alike. */
    private static List<String> collidingIds(int blocks) {
        List<String> ids = new ArrayList<>();
        for (int bits = 0; bits < 1 << blocks; bits++) {
            StringBuilder id = new StringBuilder();
            for (int b = 0; b < blocks; b++) {
                id.append((bits >> b & 1) == 0 ? "Aa" : "BB");
            }
            ids.add(id.toString());
        }
        return ids;
    }

    @Test
    void idsMadeToCollideInStringHashCodeDoNotShareAChain() {
        List<String> ids = collidingIds(12);
        assertThat(ids.stream().mapToInt(String::hashCode).distinct()).hasSize(1);
        EntryTable<Counted> table = new EntryTable<>(Counted.class);
        ids.forEach(id -> table.put(new Counted(id)));

        long longestWalk = 0;
        for (String id : ids) {
            Counted.hashReads = 0;
            assertThat(table.get(id)).extracting(e -> e.id).isEqualTo(id);
            longestWalk = Math.max(longestWalk, Counted.hashReads);
        }
        // 4,096 ids in at least 4,096 buckets: chains of a few; placed by String.hashCode, one of 4,096
        assertThat(longestWalk).isLessThanOrEqualTo(16);
    }

    @Test
    void aDoublingIsSpreadOverTheCallsAfterIt() {
        EntryTable<Counted> table = new EntryTable<>(Counted.class);
        long mostReadsInOnePut = 0;
        for (int i = 0; i < 1 << 16; i++) {
            Counted entry = new Counted("user-" + i);
            Counted.hashReads = 0;
            table.put(entry);
            mostReadsInOnePut = Math.max(mostReadsInOnePut, Counted.hashReads);
        }
        assertThat(table.size()).isEqualTo(1 << 16);
        // a put moves a few buckets of the old table (each entry moved reads its hash once), never all
        // 32,768 entries of the doubling at 2^15
        assertThat(mostReadsInOnePut).isLessThanOrEqualTo(64);
        for (int i = 0; i < 1 << 16; i++) {
            assertThat(table.get("user-" + i)).isNotNull();
        }
    }

    static LongStream seeds() {
        return RandomCases.seeds(10);
    }

    /** Random puts, removes and lookups across many doublings agree with a map at every step. */
    @ParameterizedTest
    @MethodSource("seeds")
    void agreesWithAMapThroughGrowth(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        EntryTable<Counted> table = new EntryTable<>(Counted.class);
        Map<String, Counted> model = new HashMap<>();
        int ids = 1 + random.nextInt(5_000);
        for (int step = 0; step < 40_000; step++) {
            String id = "u" + random.nextInt(ids);
            switch (random.nextInt(3)) {
                case 0 -> {
                    if (!model.containsKey(id)) {
                        Counted entry = new Counted(id);
                        table.put(entry);
                        model.put(id, entry);
                    }
                }
                case 1 -> {
                    table.remove(id);
                    model.remove(id);
                }
                default -> assertThat(table.get(id)).isSameAs(model.get(id));
            }
            assertThat(table.size()).isEqualTo(model.size());
        }
        model.forEach((id, entry) -> assertThat(table.get(id)).isSameAs(entry));
    }
}
