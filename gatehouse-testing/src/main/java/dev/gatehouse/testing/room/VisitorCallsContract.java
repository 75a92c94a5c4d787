package dev.gatehouse.testing.room;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.testing.Race;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Enqueued;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.VisitorCalls;
import dev.gatehouse.waitingroom.VisitorCalls.AddressLimit;
import dev.gatehouse.waitingroom.VisitorCalls.Kind;
import dev.gatehouse.waitingroom.VisitorCalls.Limited;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link VisitorCalls}, for every implementation: extend it and return a queue
 * store from {@link #newState} and the calls over that same store from {@link #callsOn}. Every
 * window here lasts an hour, far longer than a test, so a store judging windows by a real clock
 * (Redis's) decides as one on a fixed clock; each test uses rooms and addresses of its own.
 */
public abstract class VisitorCallsContract {

    private static final AtomicInteger ROOMS = new AtomicInteger();
    private static final long T0 = 1_800_000_000_000L;
    private static final long HOUR_SECONDS = 3_600;

    private QueueState state;
    private VisitorCalls calls;
    private String room;

    /** For subclasses. */
    protected VisitorCallsContract() {}

    /** The queue store under test; may be shared by the tests of a class, as each uses new room names. */
    protected abstract QueueState newState();

    /** The visitor's calls over {@code state}'s store. */
    protected abstract VisitorCalls callsOn(QueueState state);

    @BeforeEach
    void newRoom() {
        state = newState();
        calls = callsOn(state);
        room = "visits-" + ProcessHandle.current().pid() + "-" + ROOMS.incrementAndGet() + "-" + System.nanoTime();
    }

    private static AddressLimit enqueues(String address, long limit) {
        return new AddressLimit(Kind.ENQUEUE, address, limit, HOUR_SECONDS);
    }

    private static AddressLimit polls(String address, long limit) {
        return new AddressLimit(Kind.STATUS, address, limit, HOUR_SECONDS);
    }

    private Limited<Enqueued> enqueue(String user, AddressLimit limit) {
        return await(calls.enqueue(room, user, T0, limit));
    }

    @Test
    void callsWithinTheLimitAreMade_andTheRestRefusedWithoutReachingTheQueue() {
        AddressLimit limit = enqueues("192.0.2.1", 3);
        for (int i = 0; i < 3; i++) {
            Limited<Enqueued> made = enqueue("u" + i, limit);
            Decision decision = made.decision().orElseThrow();
            assertThat(decision.allowed()).isTrue();
            assertThat(decision.remaining()).isEqualTo(2 - i);
            assertThat(decision.nanosUntilReset()).isBetween(1L, HOUR_SECONDS * 1_000_000_000L);
            assertThat(made.result()).contains(new Enqueued(true, Standing.queued(i + 1)));
        }
        Limited<Enqueued> refused = enqueue("u3", limit);
        Decision decision = refused.decision().orElseThrow();
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.remaining()).isZero();
        assertThat(decision.nanosUntilRetry()).isBetween(1L, HOUR_SECONDS * 1_000_000_000L);
        assertThat(refused.result()).isEmpty();
        assertThat(await(state.standing(room, "u3", T0))).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.stats(room, T0)).queued()).isEqualTo(3);
        Limited<Standing> polled = await(calls.status(room, "u1", T0, polls("192.0.2.1", 1)));
        assertThat(polled.result()).contains(Standing.queued(2));
    }

    @Test
    void aRefusedPoll_doesNotCountAsSeeingTheUser() {
        await(state.configure(
                room,
                RoomConfig.DEFAULTS.with(Map.of(Field.ADMISSION_LIMIT, 0L, Field.ABANDON_AFTER_SECONDS, 30L)),
                T0));
        await(state.advance(room, T0)); // the first tick
        await(state.enqueue(room, "seen", T0));
        await(state.enqueue(room, "refused", T0));
        AddressLimit limit = polls("192.0.2.2", 1);
        assertThat(await(calls.status(room, "seen", T0 + 20_000, limit)).result())
                .contains(Standing.queued(1));
        assertThat(await(calls.status(room, "refused", T0 + 20_000, limit)).result())
                .isEmpty();

        assertThat(await(state.advance(room, T0 + 30_000)).abandoned()).isEqualTo(1);
        assertThat(await(state.standing(room, "refused", T0 + 30_000))).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.standing(room, "seen", T0 + 30_000))).isEqualTo(Standing.queued(1));
    }

    @Test
    void eachRoomKindAndAddress_countsOnItsOwn() {
        assertThat(enqueue("a", enqueues("192.0.2.3", 1)).result()).isPresent();
        assertThat(enqueue("b", enqueues("192.0.2.3", 1)).result()).isEmpty();
        assertThat(enqueue("b", enqueues("192.0.2.4", 1)).result()).isPresent();
        assertThat(await(calls.status(room, "a", T0, polls("192.0.2.3", 1))).result())
                .contains(Standing.queued(1));
        assertThat(await(calls.enqueue(room + "-other", "c", T0, enqueues("192.0.2.3", 1)))
                        .result())
                .isPresent();
    }

    @Test
    void aLimitDecidedAlone_countsInTheWindowOfTheCalls() {
        AddressLimit limit = enqueues("192.0.2.5", 2);
        assertThat(await(calls.limit(room, limit)).map(Decision::allowed)).contains(true);
        assertThat(enqueue("u", limit).result()).isPresent();
        assertThat(enqueue("v", limit).result()).isEmpty();
        Optional<Decision> alone = await(calls.limit(room, limit));
        assertThat(alone.map(Decision::allowed)).contains(false);
        assertThat(alone.map(Decision::remaining)).contains(0L);
    }

    @Test
    void aLimitLoweredWithinTheWindow_refusesAtOnce() {
        for (int i = 0; i < 3; i++) {
            assertThat(enqueue("u" + i, enqueues("192.0.2.6", 5)).result()).isPresent();
        }
        Limited<Enqueued> refused = enqueue("u3", enqueues("192.0.2.6", 2));
        assertThat(refused.result()).isEmpty();
        assertThat(refused.decision().map(Decision::remaining)).contains(0L);
    }

    /** Enqueues of distinct users from one address, all at once: exactly the limit is queued. */
    @Test
    void manyThreadsAtOnce_makeExactlyTheLimit() throws InterruptedException {
        int threads = 8;
        int perThread = 40;
        long limit = 100;
        AtomicInteger next = new AtomicInteger();
        Set<Long> remaining = ConcurrentHashMap.newKeySet();
        AtomicInteger made = new AtomicInteger();
        Race.run(threads, () -> {
            for (int i = 0; i < perThread; i++) {
                Limited<Enqueued> call = enqueue("u" + next.getAndIncrement(), enqueues("192.0.2.7", limit));
                if (call.result().isPresent()) {
                    made.incrementAndGet();
                    assertThat(remaining.add(call.decision().orElseThrow().remaining()))
                            .as("each allowed call sees its own remaining count")
                            .isTrue();
                }
            }
        });

        assertThat(made.get()).isEqualTo(limit);
        assertThat(remaining)
                .isEqualTo(
                        IntStream.range(0, (int) limit).mapToObj(i -> (long) i).collect(Collectors.toSet()));
        assertThat(await(state.stats(room, T0)).queued()).isEqualTo(limit);
    }
}
