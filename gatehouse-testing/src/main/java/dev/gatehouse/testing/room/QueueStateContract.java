package dev.gatehouse.testing.room;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.RandomCases;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Advance;
import dev.gatehouse.waitingroom.QueueState.Finish;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.QueueState.State;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract of {@link QueueState}, for every implementation: extend it and return a store from
 * {@link #newState}; each test uses rooms of its own. Times are plain numbers the test passes, so
 * nothing sleeps.
 */
public abstract class QueueStateContract {

    private static final AtomicInteger ROOMS = new AtomicInteger();
    private static final long T0 = 1_800_000_000_000L;

    private QueueState state;
    private String room;

    /** For subclasses. */
    protected QueueStateContract() {}

    /** The store under test; may be shared by the tests of a class, as each uses new room names. */
    protected abstract QueueState newState();

    @BeforeEach
    void newRoom() {
        state = newState();
        room = "room-" + ProcessHandle.current().pid() + "-" + ROOMS.incrementAndGet() + "-" + System.nanoTime();
    }

    private String otherRoom() {
        return room + "-other";
    }

    private RoomConfig config(long limit, long frequencySeconds, long maxActive, long abandonSeconds) {
        return RoomConfig.DEFAULTS.with(Map.of(
                Field.ADMISSION_LIMIT, limit,
                Field.ADMISSION_FREQUENCY, frequencySeconds,
                Field.MAX_ACTIVE_USERS, maxActive,
                Field.ABANDON_AFTER_SECONDS, abandonSeconds));
    }

    private void configure(RoomConfig config) {
        await(state.configure(room, config, T0));
    }

    private void enqueueAll(String prefix, int count, long at) {
        for (int i = 0; i < count; i++) {
            await(state.enqueue(room, prefix + i, at));
        }
    }

    private Standing status(String user, long at) {
        return await(state.status(room, user, at));
    }

    @Test
    void anUnconfiguredRoomHasTheDefaults() {
        assertThat(await(state.config(room))).isEqualTo(RoomConfig.DEFAULTS);
        assertThat(await(state.configureIfAbsent(room, config(5, 7, 0, 0)))).isTrue();
        assertThat(await(state.configureIfAbsent(room, config(9, 9, 0, 0)))).isFalse();
        assertThat(await(state.config(room))).isEqualTo(config(5, 7, 0, 0));
    }

    @Test
    void aConfigChangedSinceItWasRead_isNotOverwritten() {
        RoomConfig read = await(state.config(room)); // the defaults: nothing stored yet
        assertThat(await(state.configureIfUnchanged(room, read, config(5, 7, 0, 0), T0)))
                .isTrue();
        // a change made from the same (now stale) read is refused, and what was stored stays
        assertThat(await(state.configureIfUnchanged(room, read, config(9, 9, 0, 0), T0)))
                .isFalse();
        assertThat(await(state.config(room))).isEqualTo(config(5, 7, 0, 0));
        assertThat(await(state.configureIfUnchanged(room, config(5, 7, 0, 0), config(9, 9, 0, 0), T0)))
                .isTrue();
        assertThat(await(state.config(room))).isEqualTo(config(9, 9, 0, 0));
    }

    /**
     * Writers on several threads (as replicas would be) each change one field of the same room, many
     * times, each by reading the config, changing its field and storing it if unchanged (reading
     * again when not): no writer's change is lost, so every field ends at its writer's last value.
     */
    @Test
    void readModifyWritesOfOneRoomAtOnce_loseNoChange() throws InterruptedException {
        List<Field> fields = List.of(
                Field.ADMISSION_LIMIT,
                Field.ADMISSION_FREQUENCY,
                Field.IP_ENQUEUE_LIMIT,
                Field.IP_STATUS_POLLING_LIMIT,
                Field.MAX_ACTIVE_USERS,
                Field.ABANDON_AFTER_SECONDS);
        int changes = 40;
        AtomicInteger writers = new AtomicInteger();
        Race.run(fields.size(), () -> {
            Field field = fields.get(writers.getAndIncrement());
            for (long value = 1; value <= changes; value++) {
                // each refusal means another writer's change was stored: a bounded number of them
                for (int attempts = 1; ; attempts++) {
                    RoomConfig read = await(state.config(room));
                    if (await(state.configureIfUnchanged(room, read, read.with(Map.of(field, value)), T0))) {
                        break;
                    }
                    assertThat(attempts).as("attempts of one change").isLessThan(fields.size() * changes);
                }
            }
        });
        RoomConfig stored = await(state.config(room));
        for (Field field : fields) {
            assertThat(field.of(stored)).as(field.wireName()).isEqualTo(changes);
        }
    }

    @Test
    void usersQueueInArrivalOrderAndAgainIsNoNewPlace() {
        for (int i = 1; i <= 5; i++) {
            QueueState.Enqueued enqueued = await(state.enqueue(room, "u" + i, T0 + i));
            assertThat(enqueued.added()).isTrue();
            assertThat(enqueued.standing()).isEqualTo(Standing.queued(i));
        }
        QueueState.Enqueued again = await(state.enqueue(room, "u3", T0 + 10));
        assertThat(again.added()).isFalse();
        assertThat(again.standing()).isEqualTo(Standing.queued(3));
        assertThat(status("u5", T0 + 11)).isEqualTo(Standing.queued(5));
        assertThat(status("nobody", T0 + 11)).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.stats(room, T0 + 11)).queued()).isEqualTo(5);
    }

    @Test
    void roomsAreIndependent() {
        await(state.enqueue(room, "u", T0));
        assertThat(await(state.status(otherRoom(), "u", T0))).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.enqueue(otherRoom(), "u", T0)).standing()).isEqualTo(Standing.queued(1));
    }

    @Test
    void theFirstAdvanceTicksAndAdmitsTheHead() {
        configure(config(2, 5, 0, 0));
        enqueueAll("u", 5, T0);
        Advance first = await(state.advance(room, T0 + 1));
        assertThat(first.ticked()).isTrue();
        assertThat(first.admitted())
                .containsExactly(new QueueState.Admitted("u0", T0), new QueueState.Admitted("u1", T0));
        assertThat(first.nextWakeMillis()).isEqualTo(T0 + 1 + 5_000);
        assertThat(status("u0", T0 + 2)).isEqualTo(Standing.ready(T0 + 1 + RoomConfig.DEFAULTS.readyTtlMillis()));
        assertThat(status("u2", T0 + 2)).isEqualTo(Standing.queued(1));
        assertThat(status("u4", T0 + 2)).isEqualTo(Standing.queued(3));
        assertThat(await(state.enqueue(room, "u0", T0 + 3)).standing().state()).isEqualTo(State.READY);
    }

    @Test
    void anOperatorAdmitsFromTheHeadWhateverTheBudgetAndSeats() {
        configure(config(0, 5, 1, 0)); // paused, one seat
        enqueueAll("u", 5, T0);

        List<QueueState.Admitted> first = await(state.admit(room, 2, T0 + 1));
        List<QueueState.Admitted> rest = await(state.admit(room, 10, T0 + 2));

        assertThat(first).containsExactly(new QueueState.Admitted("u0", T0), new QueueState.Admitted("u1", T0));
        assertThat(rest).extracting(QueueState.Admitted::user).containsExactly("u2", "u3", "u4");
        assertThat(status("u0", T0 + 3)).isEqualTo(Standing.ready(T0 + 1 + RoomConfig.DEFAULTS.readyTtlMillis()));
        assertThat(await(state.admit(room, 3, T0 + 4))).as("nobody left").isEmpty();
        QueueState.RoomStats stats = await(state.stats(room, T0 + 4));
        assertThat(stats.admittedTotal()).isEqualTo(5);
        assertThat(stats.queued()).isZero();
        assertThat(stats.ready()).isEqualTo(5);
    }

    @Test
    void ticksComeEveryFrequencyAndOnlyThen() {
        configure(config(1, 5, 0, 0));
        enqueueAll("u", 10, T0);
        assertThat(await(state.advance(room, T0)).admittedUsers()).containsExactly("u0");
        assertThat(await(state.advance(room, T0 + 4_999)).ticked()).isFalse();
        assertThat(await(state.advance(room, T0 + 4_999)).admittedUsers()).isEmpty();
        Advance second = await(state.advance(room, T0 + 5_000));
        assertThat(second.ticked()).isTrue();
        assertThat(second.admittedUsers()).containsExactly("u1");
        // a late call ticks once, and the schedule keeps its phase
        Advance late = await(state.advance(room, T0 + 12_000));
        assertThat(late.admittedUsers()).containsExactly("u2");
        assertThat(late.nextWakeMillis()).isEqualTo(T0 + 15_000);
        assertThat(await(state.advance(room, T0 + 12_001)).admittedUsers()).isEmpty();
        // more than a period late: no burst of missed ticks
        Advance veryLate = await(state.advance(room, T0 + 60_000));
        assertThat(veryLate.admittedUsers()).containsExactly("u3");
        assertThat(veryLate.nextWakeMillis()).isEqualTo(T0 + 65_000);
        assertThat(await(state.stats(room, T0 + 60_000)).ticks()).isEqualTo(4);
    }

    @Test
    void budgetLeftAtATickIsNotCarried() {
        configure(config(3, 5, 0, 0));
        enqueueAll("a", 1, T0);
        assertThat(await(state.advance(room, T0)).admittedUsers()).containsExactly("a0");
        enqueueAll("b", 5, T0 + 1);
        // without a capacity bound admission waits for the tick, though two of the budget were not used
        assertThat(await(state.advance(room, T0 + 2)).admittedUsers()).isEmpty();
        assertThat(await(state.advance(room, T0 + 5_000)).admittedUsers()).containsExactly("b0", "b1", "b2");
    }

    @Test
    void aPausedRoomAdmitsNobody() {
        configure(config(0, 1, 0, 0));
        enqueueAll("u", 3, T0);
        for (int i = 0; i < 5; i++) {
            assertThat(await(state.advance(room, T0 + i * 1_000L)).admittedUsers())
                    .isEmpty();
        }
        assertThat(status("u0", T0 + 5_000)).isEqualTo(Standing.queued(1));
    }

    @Test
    void readyUsersExpireAfterTheTtlAndThenStartOver() {
        configure(config(1, 5, 0, 0));
        enqueueAll("u", 2, T0);
        await(state.advance(room, T0));
        long ttl = RoomConfig.DEFAULTS.readyTtlMillis();
        assertThat(status("u0", T0 + ttl - 1).isReady()).isTrue();
        assertThat(await(state.standing(room, "u0", T0 + ttl))).isEqualTo(Standing.UNKNOWN);
        QueueState.Enqueued again = await(state.enqueue(room, "u0", T0 + ttl));
        assertThat(again.added()).isTrue();
        assertThat(again.standing().state()).isEqualTo(State.QUEUED);
    }

    @Test
    void finishClearsReadyUsersOnly() {
        configure(config(1, 5, 0, 0));
        enqueueAll("u", 2, T0);
        await(state.advance(room, T0));
        assertThat(await(state.finish(room, "u1", T0 + 1))).isEqualTo(Finish.NOT_READY);
        assertThat(status("u1", T0 + 1)).isEqualTo(Standing.queued(1));
        assertThat(await(state.finish(room, "nobody", T0 + 1))).isEqualTo(Finish.NOT_READY);
        assertThat(await(state.finish(room, "u0", T0 + 1))).isEqualTo(Finish.READY_CLEARED);
        assertThat(await(state.finish(room, "u0", T0 + 2))).isEqualTo(Finish.NOT_READY);
        assertThat(status("u0", T0 + 2)).isEqualTo(Standing.UNKNOWN);
        QueueState.RoomStats stats = await(state.stats(room, T0 + 2));
        assertThat(stats.finishedTotal()).isEqualTo(1);
        assertThat(stats.ready()).isZero();
        assertThat(stats.queued()).isEqualTo(1);
    }

    /**
     * A touch moves a ready user's end to now plus the ready time (a session that idles out): a seat
     * touched in time is kept past its first end, and freed one ready time after the last touch; a
     * touch never shortens it, and leaves anyone not ready as they are.
     */
    @Test
    void aTouchKeepsASeatUntilTheSessionIdlesOut() {
        configure(config(10, 3_600, 1, 0));
        enqueueAll("u", 2, T0);
        assertThat(await(state.advance(room, T0)).admittedUsers()).containsExactly("u0");
        long ttl = RoomConfig.DEFAULTS.readyTtlMillis();
        assertThat(await(state.touch(room, "u0", T0 + ttl / 2))).isEqualTo(Standing.ready(T0 + ttl / 2 + ttl));
        assertThat(await(state.touch(room, "u0", T0 + ttl / 4))).isEqualTo(Standing.ready(T0 + ttl / 2 + ttl));
        assertThat(await(state.touch(room, "u1", T0 + ttl / 2))).isEqualTo(Standing.queued(1));
        assertThat(await(state.touch(room, "nobody", T0 + ttl / 2))).isEqualTo(Standing.UNKNOWN);
        // past the first end: still seated, so the queued user waits
        assertThat(await(state.advance(room, T0 + ttl)).admittedUsers()).isEmpty();
        assertThat(await(state.standing(room, "u0", T0 + ttl)).isReady()).isTrue();
        assertThat(await(state.touch(room, "u0", T0 + ttl + 1))).isEqualTo(Standing.ready(T0 + ttl + 1 + ttl));
        Advance idle = await(state.advance(room, T0 + 2 * ttl + 1));
        assertThat(idle.expired()).isEqualTo(1);
        assertThat(idle.admittedUsers()).containsExactly("u1");
        assertThat(await(state.touch(room, "u0", T0 + 2 * ttl + 1))).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.stats(room, T0 + 2 * ttl + 1)).ready()).isEqualTo(1);
    }

    /**
     * Threads touch seated users while others advance the clock and the room: the touched seats
     * outlive their first end, the untouched ones are freed at it and go to the next in line, once.
     */
    @Test
    void concurrentTouchesAndAdvancesFreeOnlyIdleSeats() throws InterruptedException {
        int seats = 20;
        configure(config(seats, 1, seats, 0));
        enqueueAll("kept", seats / 2, T0);
        enqueueAll("idle", seats / 2, T0);
        enqueueAll("next", seats, T0);
        assertThat(await(state.advance(room, T0)).admittedUsers()).hasSize(seats);
        long ttl = RoomConfig.DEFAULTS.readyTtlMillis();
        AtomicLong clock = new AtomicLong(T0);
        AtomicInteger roles = new AtomicInteger();
        ConcurrentLinkedQueue<String> admitted = new ConcurrentLinkedQueue<>();
        int steps = 100;
        Race.run(4, () -> {
            boolean toucher = roles.getAndIncrement() % 2 == 0;
            for (int i = 0; i < steps; i++) {
                if (toucher) {
                    long now = clock.get() + 1; // after the admission: each touch moves the end
                    for (int k = 0; k < seats / 2; k++) {
                        assertThat(await(state.touch(room, "kept" + k, now)).isReady())
                                .isTrue();
                    }
                } else {
                    long now = clock.addAndGet(ttl / (4L * steps)); // both advancers: half a ready time in all
                    admitted.addAll(await(state.advance(room, now)).admittedUsers());
                }
            }
        });
        long end = T0 + ttl; // the idle seats' end; the kept ones were touched later
        admitted.addAll(await(state.advance(room, end)).admittedUsers());
        for (int k = 0; k < seats / 2; k++) {
            assertThat(await(state.standing(room, "kept" + k, end)).isReady()).isTrue();
            assertThat(await(state.standing(room, "idle" + k, end))).isEqualTo(Standing.UNKNOWN);
        }
        assertThat(admitted).hasSize(seats / 2).allMatch(user -> user.startsWith("next"));
        assertThat(await(state.stats(room, end)).ready()).isEqualTo(seats);
    }

    @Test
    void aCapacityBoundAdmitsAsSeatsFreeWithinTheBudget() {
        configure(config(10, 3_600, 2, 0));
        enqueueAll("u", 6, T0);
        assertThat(await(state.advance(room, T0)).admittedUsers()).containsExactly("u0", "u1");
        assertThat(await(state.advance(room, T0 + 1)).admittedUsers()).isEmpty();
        await(state.finish(room, "u0", T0 + 2));
        assertThat(await(state.advance(room, T0 + 2)).admittedUsers()).containsExactly("u2");
        // an expired seat frees too, and the next wake is that expiry
        Advance waiting = await(state.advance(room, T0 + 3));
        long ttl = RoomConfig.DEFAULTS.readyTtlMillis();
        assertThat(waiting.nextWakeMillis()).isEqualTo(T0 + ttl);
        Advance atExpiry = await(state.advance(room, T0 + ttl));
        assertThat(atExpiry.expired()).isEqualTo(1);
        assertThat(atExpiry.admittedUsers()).containsExactly("u3");
    }

    @Test
    void theBudgetStillBoundsCapacityAdmission() {
        configure(config(2, 60, 1, 0));
        enqueueAll("u", 5, T0);
        assertThat(await(state.advance(room, T0)).admittedUsers()).containsExactly("u0");
        await(state.finish(room, "u0", T0 + 1));
        assertThat(await(state.advance(room, T0 + 1)).admittedUsers()).containsExactly("u1");
        await(state.finish(room, "u1", T0 + 2));
        assertThat(await(state.advance(room, T0 + 2)).admittedUsers()).isEmpty(); // two this tick already
        assertThat(await(state.advance(room, T0 + 60_000)).admittedUsers()).containsExactly("u2");
    }

    @Test
    void usersNotSeenForTheGraceLoseTheirPlace() {
        configure(config(1, 3_600, 0, 30));
        await(state.advance(room, T0)); // the first tick, with nobody queued
        enqueueAll("u", 4, T0);
        status("u1", T0 + 20_000);
        await(state.standing(room, "u2", T0 + 20_000)); // a backend check does not count as seen
        status("u3", T0 + 25_000);
        Advance advance = await(state.advance(room, T0 + 30_000));
        assertThat(advance.abandoned()).isEqualTo(2);
        assertThat(advance.nextWakeMillis()).isEqualTo(T0 + 50_000);
        assertThat(status("u0", T0 + 30_001)).isEqualTo(Standing.UNKNOWN);
        assertThat(status("u1", T0 + 30_001)).isEqualTo(Standing.queued(1));
        assertThat(status("u3", T0 + 30_001)).isEqualTo(Standing.queued(2));
        assertThat(await(state.stats(room, T0 + 30_001)).abandonedTotal()).isEqualTo(2);
    }

    @Test
    void aConfigChangeReschedulesTheNextTickFromTheNewFrequency() {
        configure(config(1, 60, 0, 0));
        enqueueAll("u", 5, T0);
        await(state.advance(room, T0));
        await(state.configure(room, config(2, 10, 0, 0), T0 + 3_000));
        assertThat(await(state.advance(room, T0 + 9_999)).admittedUsers()).isEmpty();
        assertThat(await(state.advance(room, T0 + 10_000)).admittedUsers()).containsExactly("u1", "u2");
        // a frequency whose next tick has passed already: the next tick is now
        await(state.configure(room, config(1, 1, 0, 0), T0 + 15_000));
        assertThat(await(state.advance(room, T0 + 15_000)).admittedUsers()).containsExactly("u3");
    }

    @Test
    void aLargeBudgetIsSpentInBatches() {
        int users = QueueState.MAX_ADMITTED_PER_ADVANCE + 5;
        configure(config(users, 60, 0, 0));
        enqueueAll("u", users, T0);
        Advance first = await(state.advance(room, T0));
        assertThat(first.admittedUsers()).hasSize(QueueState.MAX_ADMITTED_PER_ADVANCE);
        assertThat(first.nextWakeMillis()).isEqualTo(T0);
        Advance second = await(state.advance(room, T0));
        assertThat(second.ticked()).isFalse();
        assertThat(second.admittedUsers()).hasSize(5);
        assertThat(await(state.stats(room, T0)).admittedTotal()).isEqualTo(users);
    }

    static java.util.stream.LongStream seeds() {
        return RandomCases.seeds(20);
    }

    /** Random enqueues, polls, finishes, abandonments and ticks against a list that is the queue. */
    @ParameterizedTest
    @MethodSource("seeds")
    void positionsAreExactAfterAnyMix(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long frequency = 1L + random.nextInt(3);
        long abandon = random.nextBoolean() ? 0 : 2L + random.nextInt(4);
        long limit = random.nextInt(4);
        configure(config(limit, frequency, 0, abandon));
        List<String> line = new ArrayList<>();
        Map<String, Long> lastSeen = new java.util.HashMap<>();
        Set<String> ready = new HashSet<>();
        long now = T0;
        long nextTick = 0;
        for (int step = 0; step < 300; step++) {
            now += random.nextInt(700);
            String user = "u" + random.nextInt(40);
            switch (random.nextInt(4)) {
                case 0 -> {
                    boolean known = line.contains(user) || ready.contains(user);
                    assertThat(await(state.enqueue(room, user, now)).added()).isEqualTo(!known);
                    if (!known) {
                        line.add(user);
                    }
                    if (line.contains(user)) {
                        lastSeen.put(user, now);
                    }
                }
                case 1 -> {
                    Standing standing = status(user, now);
                    if (line.contains(user)) {
                        assertThat(standing).isEqualTo(Standing.queued(line.indexOf(user) + 1));
                        lastSeen.put(user, now);
                    } else {
                        assertThat(standing.isReady()).isEqualTo(ready.contains(user));
                    }
                }
                case 2 -> {
                    Finish finish = await(state.finish(room, user, now));
                    assertThat(finish == Finish.READY_CLEARED).isEqualTo(ready.remove(user));
                }
                default -> {
                    Advance advance = await(state.advance(room, now));
                    if (abandon > 0) {
                        long cutoff = now - abandon * 1000;
                        List<String> gone = line.stream()
                                .filter(u -> lastSeen.getOrDefault(u, Long.MAX_VALUE) <= cutoff)
                                .toList();
                        line.removeAll(gone);
                        assertThat(advance.abandoned()).isEqualTo(gone.size());
                    }
                    boolean due = now >= nextTick;
                    assertThat(advance.ticked()).isEqualTo(due);
                    if (due) {
                        nextTick = (nextTick == 0 ? now : nextTick) + frequency * 1000;
                        if (nextTick <= now) {
                            nextTick = now + frequency * 1000;
                        }
                        int admit = (int) Math.min(limit, line.size());
                        List<String> head = new ArrayList<>(line.subList(0, admit));
                        assertThat(advance.admittedUsers()).isEqualTo(head);
                        line.subList(0, admit).clear();
                        ready.addAll(head); // the TTL (60 s at least) outlasts this run
                    } else {
                        assertThat(advance.admittedUsers()).isEmpty();
                    }
                }
            }
        }
        for (int i = 0; i < line.size(); i++) {
            assertThat(await(state.standing(room, line.get(i), now))).isEqualTo(Standing.queued(i + 1));
        }
    }

    /**
     * Threads enqueue distinct users while others advance the room at the same instants: every user
     * is admitted at most once and is either admitted or still queued, each tick is counted once, and
     * no tick admits more than the limit.
     */
    @Test
    void concurrentEnqueuesAndAdvancesAdmitEachUserOnce() throws InterruptedException {
        int limit = 7;
        configure(config(limit, 1, 0, 0));
        AtomicInteger roles = new AtomicInteger();
        AtomicLong clock = new AtomicLong(T0);
        ConcurrentLinkedQueue<String> admitted = new ConcurrentLinkedQueue<>();
        AtomicInteger ticks = new AtomicInteger();
        int usersPerThread = 200;
        Race.run(8, () -> {
            boolean enqueuer = roles.getAndIncrement() % 2 == 0;
            for (int i = 0; i < usersPerThread; i++) {
                if (enqueuer) {
                    await(state.enqueue(room, "t" + Thread.currentThread().threadId() + "-" + i, clock.get()));
                } else {
                    Advance advance = await(state.advance(room, clock.addAndGet(50)));
                    admitted.addAll(advance.admittedUsers());
                    if (advance.ticked()) {
                        ticks.incrementAndGet();
                    }
                }
            }
        });
        QueueState.RoomStats stats = await(state.stats(room, clock.get()));
        assertThat(new HashSet<>(admitted)).hasSameSizeAs(admitted);
        assertThat(stats.admittedTotal()).isEqualTo(admitted.size());
        assertThat(stats.ticks()).isEqualTo(ticks.get());
        assertThat(stats.admittedTotal() + stats.queued()).isEqualTo(4L * usersPerThread);
        assertThat(admitted.size()).isLessThanOrEqualTo(limit * ticks.get());
        for (String user : admitted) {
            assertThat(await(state.standing(room, user, clock.get())).isReady()).isTrue();
        }
    }

    @Test
    void aPrequeueRegistersUntilItsDrawnOrderIsPlacedThenLaterArrivalsQueueBehind() {
        configure(config(2, 1, 0, 1));
        assertThat(await(state.prequeue(room))).isEqualTo(QueueState.Prequeue.NONE);
        assertThat(await(state.startPrequeue(room))).isTrue();
        assertThat(await(state.startPrequeue(room))).isFalse();
        assertThat(await(state.prequeue(room))).isEqualTo(QueueState.Prequeue.OPEN);
        for (String user : List.of("a", "b", "c", "d")) {
            QueueState.Enqueued enqueued = await(state.enqueue(room, user, T0));
            assertThat(enqueued.added()).isTrue();
            assertThat(enqueued.standing()).isEqualTo(Standing.REGISTERED);
        }
        assertThat(await(state.enqueue(room, "b", T0 + 1)).added()).isFalse();
        assertThat(status("c", T0 + 1)).isEqualTo(Standing.REGISTERED);
        // registered users have no place: advance admits none of them, and none is abandoned
        assertThat(await(state.advance(room, T0 + 10_000)).admitted()).isEmpty();
        assertThat(await(state.stats(room, T0 + 10_000)).registered()).isEqualTo(4);
        assertThat(await(state.stats(room, T0 + 10_000)).queued()).isZero();

        assertThat(await(state.closePrequeue(room)).orElseThrow()).containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(await(state.prequeue(room))).isEqualTo(QueueState.Prequeue.CLOSED);
        assertThat(await(state.enqueue(room, "late1", T0 + 11_000)).standing()).isEqualTo(Standing.REGISTERED);
        assertThat(await(state.enqueue(room, "late2", T0 + 11_001)).standing()).isEqualTo(Standing.REGISTERED);
        assertThat(await(state.closePrequeue(room)).orElseThrow()).containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(await(state.stats(room, T0 + 11_002)).registered()).isEqualTo(6);

        assertThat(await(state.placeDrawn(room, List.of("c", "a"), false, T0 + 12_000)))
                .isFalse();
        assertThat(status("a", T0 + 12_000)).isEqualTo(Standing.queued(2));
        assertThat(status("d", T0 + 12_000)).isEqualTo(Standing.REGISTERED);
        assertThat(await(state.prequeue(room))).isEqualTo(QueueState.Prequeue.CLOSED);
        assertThat(await(state.placeDrawn(room, List.of("c", "a", "stranger", "d", "b"), true, T0 + 12_000)))
                .isTrue();
        assertThat(await(state.prequeue(room))).isEqualTo(QueueState.Prequeue.ENDED);
        await(state.enqueue(room, "after", T0 + 12_001));

        List<String> order = List.of("c", "a", "d", "b", "late1", "late2", "after");
        for (int i = 0; i < order.size(); i++) {
            assertThat(status(order.get(i), T0 + 12_002)).as(order.get(i)).isEqualTo(Standing.queued(i + 1));
        }
        assertThat(status("stranger", T0 + 12_002)).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.stats(room, T0 + 12_002)).registered()).isZero();
        assertThat(await(state.closePrequeue(room))).isEmpty();
        assertThat(await(state.startPrequeue(room))).isFalse();
        // placing again (another replica finishing the same open) changes nothing
        assertThat(await(state.placeDrawn(room, List.of("b", "d"), true, T0 + 12_003)))
                .isTrue();
        assertThat(status("b", T0 + 12_004)).isEqualTo(Standing.queued(4));
        assertThat(await(state.advance(room, T0 + 13_000)).admittedUsers()).containsExactly("c", "a");
    }

    @Test
    void aDrawIsPlacedOnlyInAClosedPrequeue() {
        assertThat(await(state.closePrequeue(room))).isEmpty();
        assertThatThrownBy(() -> await(state.placeDrawn(room, List.of("a"), true, T0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no pre-queue is closed");
        await(state.startPrequeue(room));
        assertThatThrownBy(() -> await(state.placeDrawn(room, List.of(), true, T0)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(await(state.closePrequeue(room)).orElseThrow()).isEmpty();
        await(state.placeDrawn(room, List.of(), true, T0));
        assertThat(await(state.enqueue(room, "first", T0)).standing()).isEqualTo(Standing.queued(1));
    }

    @Test
    void theFirstCommitAndRecordKeptStay() {
        assertThat(await(state.draw(room))).isEmpty();
        assertThat(await(state.drawRecord(room))).isEmpty();
        assertThatThrownBy(() -> await(state.keepRecord(room, "r")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no commit is kept");
        QueueState.DrawFiles committed = new QueueState.DrawFiles("{\"c\":\"é\"}", "a\nb\n", null);
        assertThat(await(state.keepCommit(room, committed.commit(), committed.tickets())))
                .isEqualTo(committed);
        assertThat(await(state.keepCommit(room, "x", "y"))).isEqualTo(committed);
        assertThat(await(state.draw(room))).isEqualTo(Optional.of(committed));
        assertThat(await(state.drawRecord(room))).isEmpty();

        QueueState.DrawFiles drawn = new QueueState.DrawFiles(committed.commit(), committed.tickets(), "{\"r\":1}");
        assertThat(await(state.keepRecord(room, "{\"r\":1}"))).isEqualTo(drawn);
        assertThat(await(state.keepRecord(room, "{\"r\":2}"))).isEqualTo(drawn);
        assertThat(await(state.draw(room))).isEqualTo(Optional.of(drawn));
        assertThat(await(state.drawRecord(room))).hasValue("{\"r\":1}");
        assertThat(await(state.draw(otherRoom()))).isEmpty();
    }

    /**
     * Users enqueue from many threads while the pre-queue is closed and its draw placed in batches:
     * each user ends up queued exactly once, those registered before the close first in drawn order,
     * then everyone who came after it; nobody is lost or placed twice.
     */
    @Test
    void concurrentArrivalsAroundAnOpenAreEachQueuedOnceBehindTheDraw() throws InterruptedException {
        await(state.startPrequeue(room));
        enqueueAll("pre", 300, T0);
        AtomicInteger roles = new AtomicInteger();
        ConcurrentLinkedQueue<String> lateUsers = new ConcurrentLinkedQueue<>();
        List<String> drawn = new ArrayList<>();
        Race.run(4, () -> {
            int role = roles.getAndIncrement();
            if (role == 0) {
                List<String> registered =
                        new ArrayList<>(await(state.closePrequeue(room)).orElseThrow());
                Collections.shuffle(registered, new java.util.Random(7));
                drawn.addAll(registered);
                for (int from = 0; from < registered.size(); from += 50) {
                    int to = Math.min(registered.size(), from + 50);
                    boolean ended = await(
                            state.placeDrawn(room, registered.subList(from, to), to == registered.size(), T0 + 1));
                    while (to == registered.size() && !ended) {
                        ended = await(state.placeDrawn(room, List.of(), true, T0 + 1));
                    }
                }
            } else {
                for (int i = 0; i < 100; i++) {
                    String user = "late-" + role + "-" + i;
                    await(state.enqueue(room, user, T0 + 1));
                    lateUsers.add(user);
                }
            }
        });
        QueueState.RoomStats stats = await(state.stats(room, T0 + 2));
        assertThat(stats.queued()).isEqualTo(600);
        assertThat(stats.registered()).isZero();
        // whoever registered before the close is drawn (all 300 early users, and arrivals that beat it)
        assertThat(drawn).hasSizeBetween(300, 600).doesNotHaveDuplicates();
        for (int i = 0; i < 300; i++) {
            assertThat(drawn).contains("pre" + i);
        }
        for (int i = 0; i < drawn.size(); i++) {
            assertThat(status(drawn.get(i), T0 + 2)).isEqualTo(Standing.queued(i + 1));
        }
        Set<Long> latePositions = new HashSet<>();
        for (String user : lateUsers) {
            Standing standing = status(user, T0 + 2);
            assertThat(standing.state()).isEqualTo(State.QUEUED);
            if (!drawn.contains(user)) {
                assertThat(standing.position()).isGreaterThan(drawn.size());
                latePositions.add(standing.position());
            }
        }
        assertThat(latePositions).hasSize(600 - drawn.size());
    }
}
