package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The ticker that moves every room, on virtual time. */
class AdmissionsTest {

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private final MemoryQueueState state = new MemoryQueueState();
    private final MemoryTenantStore store = new MemoryTenantStore(100_000);
    private final List<Long> waits = new ArrayList<>();

    private Admissions admissions(QueueState over) {
        return new Admissions(
                over,
                store,
                clock,
                clock,
                1_000,
                (room, millis) -> waits.add(millis),
                Admissions.BeforeAdvance.NOTHING);
    }

    private void configure(long limit, long frequency) {
        state.configure(
                "r",
                RoomConfig.DEFAULTS.with(Map.of(Field.ADMISSION_LIMIT, limit, Field.ADMISSION_FREQUENCY, frequency)),
                clock.epochMillis());
    }

    private void enqueue(int users) {
        for (int i = 0; i < users; i++) {
            state.enqueue("r", "u" + i, clock.epochMillis());
        }
    }

    /** A room's step that takes a while (a large draw) is followed by an advance at the time it ended, not began. */
    @Test
    void theAdvanceAfterALongStepReadsTheClockAgain() {
        configure(2, 5);
        enqueue(4);
        long start = clock.nowNanos();
        java.util.concurrent.atomic.AtomicBoolean slow = new java.util.concurrent.atomic.AtomicBoolean();
        Admissions.BeforeAdvance longStep = (room, nowMillis) -> {
            if (clock.nowNanos() - start >= Duration.ofSeconds(4).toNanos() && slow.compareAndSet(false, true)) {
                clock.setNanos(clock.nowNanos() + Duration.ofSeconds(2).toNanos()); // the step took 2 s
            }
            return CompletableFuture.completedFuture(null);
        };
        try (Admissions admissions =
                new Admissions(state, store, clock, clock, 1_000, (room, millis) -> {}, longStep)) {
            admissions.rooms(List.of("r"));
            clock.advanceNanos(0); // the first tick: two admitted
            clock.advance(Duration.ofSeconds(4)); // the step at 4 s ends at 6 s, past the tick due at 5 s

            assertThat(slow).isTrue();
            assertThat(state.stats("r", clock.epochMillis())
                            .toCompletableFuture()
                            .join()
                            .admittedTotal())
                    .isEqualTo(4);
        }
    }

    @Test
    void roomsTickOnTimeAndAdmissionsAreAuditedWithTheirWaits() {
        configure(2, 5);
        enqueue(5);
        try (Admissions admissions = admissions(state)) {
            admissions.rooms(List.of("r"));
            clock.advanceNanos(0); // the room's first tick
            clock.advance(Duration.ofSeconds(5));
            QueueState.RoomStats stats =
                    state.stats("r", clock.epochMillis()).toCompletableFuture().join();
            assertThat(stats.ticks()).isEqualTo(2);
            assertThat(stats.admittedTotal()).isEqualTo(4);
            assertThat(waits).containsExactly(0L, 0L, 5_000L, 5_000L);
            assertThat(store.recentAudit("r", 10).toCompletableFuture().join())
                    .extracting(TenantStore.AuditEvent::user)
                    .containsExactly("u3", "u2", "u1", "u0");
        }
    }

    @Test
    void theEstimateFollowsTheMeasuredRateOnceThereIsOne() {
        configure(10, 1);
        enqueue(2_000);
        try (Admissions admissions = admissions(state)) {
            RoomConfig config = state.config("r").toCompletableFuture().join();
            // before any measure: the config's rate, 10 per second
            assertThat(admissions.estimatedWaitSeconds("r", 100, config)).hasValue(10);
            admissions.rooms(List.of("r"));
            clock.advanceNanos(0);
            for (int i = 0; i < 61; i++) {
                clock.advance(Duration.ofSeconds(1));
            }
            // the room admitted 10 a second while users waited: 100 places are 10 s
            assertThat(admissions.estimatedWaitSeconds("r", 100, config)).hasValue(10);
            // a config that says otherwise does not change what was measured
            RoomConfig claimed = config.with(Map.of(Field.ADMISSION_LIMIT, 1_000L));
            assertThat(admissions.estimatedWaitSeconds("r", 100, claimed)).hasValue(10);
            assertThat(admissions.estimatedWaitSeconds("r", 100, config.with(Map.of(Field.ADMISSION_LIMIT, 0L))))
                    .hasValue(10);
        }
    }

    @Test
    void aPausedRoomWithoutAMeasureHasNoEstimate() {
        try (Admissions admissions = admissions(state)) {
            RoomConfig paused = RoomConfig.DEFAULTS.with(Map.of(Field.ADMISSION_LIMIT, 0L));
            assertThat(admissions.estimatedWaitSeconds("r", 5, paused)).isEmpty();
            RoomConfig seated = RoomConfig.DEFAULTS.with(Map.of(Field.MAX_ACTIVE_USERS, 10L));
            assertThat(admissions.estimatedWaitSeconds("r", 5, seated))
                    .as("seats free as users leave, which no config says")
                    .isEmpty();
        }
    }

    @Test
    void aStoreThatFailsIsRetriedEverySleepAndAdmitsOnceItAnswers() {
        configure(1, 1);
        enqueue(3);
        AtomicInteger failuresLeft = new AtomicInteger(3);
        AtomicInteger calls = new AtomicInteger();
        QueueState flaky = new ForwardingQueueState(state) {
            @Override
            public CompletionStage<QueueState.Advance> advance(String room, long nowMillis) {
                calls.incrementAndGet();
                if (failuresLeft.getAndDecrement() > 0) {
                    return CompletableFuture.failedFuture(new IllegalStateException("store down"));
                }
                return super.advance(room, nowMillis);
            }
        };
        try (Admissions admissions = admissions(flaky)) {
            admissions.rooms(List.of("r"));
            clock.advanceNanos(0);
            assertThat(calls.get()).isEqualTo(1);
            clock.advance(Duration.ofSeconds(3)); // one retry a second
            assertThat(calls.get()).isEqualTo(4);
            assertThat(state.stats("r", clock.epochMillis())
                            .toCompletableFuture()
                            .join()
                            .admittedTotal())
                    .isEqualTo(1);
        }
    }

    @Test
    void aNudgeDuringAnAdvanceRunsAnotherRightAfter() {
        configure(1, 3_600);
        enqueue(2);
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<QueueState.Advance> held = new CompletableFuture<>();
        QueueState slow = new ForwardingQueueState(state) {
            @Override
            public CompletionStage<QueueState.Advance> advance(String room, long nowMillis) {
                if (calls.incrementAndGet() == 1) {
                    return held;
                }
                return super.advance(room, nowMillis);
            }
        };
        try (Admissions admissions = admissions(slow)) {
            admissions.rooms(List.of("r"));
            clock.advanceNanos(0);
            admissions.nudge("r");
            admissions.nudge("r");
            clock.advanceNanos(0);
            assertThat(calls.get()).isEqualTo(1); // never two at once
            held.complete(new QueueState.Advance(List.of(), 0, 0, false, clock.epochMillis() + 3_600_000));
            clock.advanceNanos(0);
            assertThat(calls.get()).isEqualTo(2); // the nudges ran one more, at once
        }
    }

    @Test
    void roomsNoLongerNamedStopMoving() {
        configure(1, 1);
        enqueue(5);
        try (Admissions admissions = admissions(state)) {
            admissions.rooms(List.of("r"));
            clock.advanceNanos(0);
            admissions.rooms(List.of());
            clock.advance(Duration.ofSeconds(3));
            assertThat(state.stats("r", clock.epochMillis())
                            .toCompletableFuture()
                            .join()
                            .admittedTotal())
                    .isEqualTo(1);
            assertThat(admissions.stats("r")).isEmpty();
        }
    }
}
