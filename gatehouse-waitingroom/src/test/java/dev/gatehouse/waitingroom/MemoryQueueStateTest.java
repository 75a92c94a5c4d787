package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Race;
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
import java.util.concurrent.atomic.AtomicInteger;
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

    /** Room for {@code users} users of {@code idChars}-character ids, and not one more. */
    private static MemoryQueueState holding(int users, int idChars) {
        return new MemoryQueueState(users * (MemoryQueueState.USER_BYTES + idChars));
    }

    @Test
    void aFullStoreRefusesNewUsersAndTakesThemAgainAsOthersLeave() {
        QueueState state = holding(3, 2);
        long now = 1_000_000;
        await(state.configure(
                "r",
                RoomConfig.DEFAULTS.with(Map.of(Field.READY_TTL_SECONDS, 60L, Field.ABANDON_AFTER_SECONDS, 10L)),
                now));
        for (String user : List.of("u0", "u1", "u2")) {
            assertThat(await(state.enqueue("r", user, now)).added()).isTrue();
        }

        assertThatThrownBy(() -> await(state.enqueue("r", "u3", now)))
                .isInstanceOf(RoomStoreUnavailableException.class)
                .hasMessageContaining("full");
        assertThatThrownBy(() -> await(state.enqueue("other", "u3", now))) // every room's users together
                .isInstanceOf(RoomStoreUnavailableException.class);
        assertThat(await(state.enqueue("r", "u1", now)).added()).isFalse(); // one who is in line already
        assertThat(await(state.stats("r", now)).queued()).isEqualTo(3);

        // each way out gives its room back: finished, expired, abandoned
        assertThat(await(state.admit("r", 2, now))).hasSize(2);
        await(state.finish("r", "u0", now + 1_000));
        assertThat(await(state.enqueue("r", "a", now + 1_000)).added()).isTrue();
        await(state.advance("r", now + 61_000)); // u1's seat expires, u2 and "a" are abandoned
        for (String user : List.of("b", "c", "d")) {
            assertThat(await(state.enqueue("r", user, now + 61_000)).added()).isTrue();
        }
        assertThatThrownBy(() -> await(state.enqueue("r", "e", now + 61_000)))
                .isInstanceOf(RoomStoreUnavailableException.class);
    }

    @Test
    void registeredUsersAreCountedFromTheirRegistrationAndGivenBackAtTheDraw() {
        QueueState state = holding(2, 2);
        await(state.startPrequeue("r"));
        await(state.enqueue("r", "r0", 1));
        await(state.enqueue("r", "r1", 1));
        assertThatThrownBy(() -> await(state.enqueue("r", "r2", 1))).isInstanceOf(RoomStoreUnavailableException.class);
        await(state.closePrequeue("r"));

        // r0 drawn and queued (still counted), r1 not drawn: given back
        assertThat(await(state.placeDrawn("r", List.of("r0"), true, 2))).isTrue();
        assertThat(await(state.enqueue("r", "n0", 3)).added()).isTrue();
        assertThatThrownBy(() -> await(state.enqueue("r", "n1", 3))).isInstanceOf(RoomStoreUnavailableException.class);
    }

    /**
     * Threads joining four rooms at once against one store with room for a given number of users
     * (more joins than that): exactly that many are taken, in all the rooms together, and every other
     * join is refused.
     */
    @Test
    void joinsFromManyThreadsTakeExactlyTheRoomThereIs() throws Exception {
        int room = 5_000;
        int threads = 8;
        int joinsEach = 2_000;
        QueueState state = holding(room, 6); // every id 6 characters: the thread, then the join
        AtomicInteger taken = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger threadNumbers = new AtomicInteger();

        Race.run(threads, () -> {
            int thread = threadNumbers.getAndIncrement();
            for (int i = 0; i < joinsEach; i++) {
                String user = String.format("%d%05d", thread, i);
                try {
                    await(state.enqueue("r" + (i % 4), user, 1));
                    taken.incrementAndGet();
                } catch (RoomStoreUnavailableException full) {
                    refused.incrementAndGet();
                }
            }
        });

        assertThat(taken.get() + refused.get()).isEqualTo(threads * joinsEach);
        long queued = 0;
        for (int r = 0; r < 4; r++) {
            queued += await(state.stats("r" + r, 1)).queued();
        }
        assertThat(queued).isEqualTo(taken.get());
        assertThat(taken.get()).isEqualTo(room);
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
