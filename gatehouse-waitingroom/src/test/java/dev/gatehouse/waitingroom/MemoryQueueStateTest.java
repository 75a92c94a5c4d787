package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import dev.gatehouse.testing.room.QueueStateContract;
import dev.gatehouse.waitingroom.QueueState.Admitted;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MemoryQueueStateTest extends QueueStateContract {

    @Override
    protected QueueState newState() {
        return new MemoryQueueState();
    }

    @Test
    void lateArrivalsArePlacedABatchACall() {
        QueueState state = newState();
        await(state.startPrequeue("r"));
        await(state.enqueue("r", "early", 1));
        await(state.closePrequeue("r"));
        int late = QueueState.MAX_ADMITTED_PER_ADVANCE + 5;
        for (int i = 0; i < late; i++) {
            await(state.enqueue("r", "late" + i, 2));
        }

        assertThat(await(state.placeDrawn("r", List.of("early"), true, 3))).isFalse();
        assertThat(await(state.stats("r", 3)).registered()).isEqualTo(5);
        assertThat(await(state.placeDrawn("r", List.of(), true, 3))).isTrue();
        assertThat(await(state.status("r", "late" + (late - 1), 4)).position()).isEqualTo(late + 1);
    }

    @Test
    void anOldReadyEntryOfAUserWhoCameBackExpiresWithoutTouchingTheNewOne() {
        QueueState state = newState();
        long now = 1_000_000;
        await(state.configure("r", RoomConfig.DEFAULTS.with(Map.of(Field.READY_TTL_SECONDS, 60L)), now));
        await(state.enqueue("r", "u0", now));
        assertThat(await(state.admit("r", 1, now))).hasSize(1);
        await(state.finish("r", "u0", now + 1_000)); // its first entry stays in the expiry heap
        await(state.enqueue("r", "u0", now + 2_000));
        assertThat(await(state.admit("r", 1, now + 30_000))).hasSize(1);

        await(state.advance("r", now + 61_000)); // past the first entry's time, within the second's
        assertThat(await(state.standing("r", "u0", now + 61_000)).isReady()).isTrue();
        assertThat(await(state.stats("r", now + 61_000)).ready()).isEqualTo(1);
    }

    static LongStream lineSeeds() {
        return RandomCases.seeds(8);
    }

    /**
     * Thousands of users through many moves of the line's slots: admissions from the head (the slots
     * move to the front with their gaps) and abandonments of half the line at once (the users are
     * renumbered); every queued user's position is checked against a list after each round.
     */
    @ParameterizedTest
    @MethodSource("lineSeeds")
    void positionsStayExactWhileTheLineMovesAndGrows(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        QueueState state = newState();
        long now = 1_000_000;
        await(state.configure(
                "r",
                RoomConfig.DEFAULTS.with(Map.of(Field.ADMISSION_LIMIT, 0L, Field.ABANDON_AFTER_SECONDS, 5L)),
                now));
        List<String> line = new ArrayList<>();
        Map<String, Long> seen = new HashMap<>();
        int next = 0;
        for (int round = 0; round < 60; round++) {
            now += 1_000;
            for (int n = random.nextInt(400); n > 0; n--) {
                String user = "user-" + next++;
                await(state.enqueue("r", user, now));
                line.add(user);
                seen.put(user, now);
            }
            boolean pollMost = random.nextInt(4) != 0; // else half the line is left to be abandoned
            for (String user : line) {
                if (random.nextInt(10) < (pollMost ? 9 : 5)) {
                    await(state.status("r", user, now));
                    seen.put(user, now);
                }
            }
            long cutoff = now - 5_000;
            List<String> gone = line.stream().filter(u -> seen.get(u) <= cutoff).toList();
            assertThat(await(state.advance("r", now)).abandoned()).isEqualTo(gone.size());
            line.removeAll(gone);

            int admit = Math.min(line.size(), random.nextInt(150));
            List<Admitted> admitted = await(state.admit("r", admit, now));
            assertThat(admitted).extracting(Admitted::user).isEqualTo(line.subList(0, admit));
            line.subList(0, admit).clear();

            for (int i = 0; i < line.size(); i++) {
                assertThat(await(state.standing("r", line.get(i), now))).isEqualTo(Standing.queued(i + 1));
            }
        }
        assertThat(next).isGreaterThan(4_000);
    }
}
