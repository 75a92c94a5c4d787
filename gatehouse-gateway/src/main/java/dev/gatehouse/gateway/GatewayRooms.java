package dev.gatehouse.gateway;

import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.MemoryTenantStore;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.RoomConfig;
import java.util.List;

/** The rooms of the gateway's queue state (the admin API's queue, the waiting room): each configured and moved. */
final class GatewayRooms {

    /** Audit events of admissions kept in memory (the gateway has no database). */
    private static final int AUDIT_EVENTS = 1_000;

    /** How long an admission loop sleeps at most, to see what other replicas changed. */
    private static final long MAX_SLEEP_MILLIS = 1_000;

    private GatewayRooms() {}

    /**
     * Stores {@code config} as {@code room}'s (every replica stores the same from the same file) and
     * starts the loop that admits in it on {@code scheduler}; closing it stops the loop.
     */
    static Admissions start(QueueState state, String room, RoomConfig config, WallClock clock, Scheduler scheduler) {
        state.configure(room, config, clock.epochMillis()).toCompletableFuture().join();
        Admissions admissions = new Admissions(
                state,
                new MemoryTenantStore(AUDIT_EVENTS),
                clock,
                scheduler,
                MAX_SLEEP_MILLIS,
                (r, millis) -> {},
                Admissions.BeforeAdvance.NOTHING);
        admissions.rooms(List.of(room));
        return admissions;
    }
}
