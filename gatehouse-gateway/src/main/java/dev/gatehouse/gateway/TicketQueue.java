package dev.gatehouse.gateway;

import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.MemoryTenantStore;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The admin API's queue, on the waiting room's queue domain: a ticket is a room's user, so the queue
 * lives in this process or in Redis for every replica alike (Wicket's is process-local, and needs
 * sticky sessions), and admits by itself from the file's policy ({@code admit_count} every {@code
 * admit_interval}, {@code max_active} at once) where Wicket's sidecar never admits anyone. Wicket's
 * wire is kept: positions count from the queue's start, the cursor is how many were admitted.
 */
final class TicketQueue implements AutoCloseable {

    /** The room the gateway's tickets live in (under the store's key prefix). */
    static final String ROOM = "gateway";

    /** Audit events of admissions kept in memory (the gateway has no database). */
    private static final int AUDIT_EVENTS = 1_000;

    /** How long the admission loop sleeps at most, to see what other replicas changed. */
    private static final long MAX_SLEEP_MILLIS = 1_000;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A ticket's standing on Wicket's wire. */
    record Status(String ticketId, long position, long cursor, long ahead, boolean admitted) {}

    /** A new ticket and when it was issued (Unix seconds). */
    record Ticket(String ticketId, long issued) {}

    private final QueueState state;
    private final WallClock clock;
    private final Admissions admissions;

    private TicketQueue(QueueState state, WallClock clock, Admissions admissions) {
        this.state = state;
        this.clock = clock;
        this.admissions = admissions;
    }

    /** The queue in {@code state}, configured from {@code config} and advancing on {@code scheduler}. */
    static TicketQueue start(GatewayConfig.Queue config, QueueState state, WallClock clock, Scheduler scheduler) {
        RoomConfig room = RoomConfig.DEFAULTS.with(java.util.Map.of(
                RoomConfig.Field.ADMISSION_LIMIT, config.admitCount(),
                RoomConfig.Field.ADMISSION_FREQUENCY, config.admitInterval().toSeconds(),
                RoomConfig.Field.MAX_ACTIVE_USERS, config.maxActive(),
                RoomConfig.Field.READY_TTL_SECONDS, config.admittedFor().toSeconds()));
        state.configure(ROOM, room, clock.epochMillis()).toCompletableFuture().join();
        Admissions admissions = new Admissions(
                state, new MemoryTenantStore(AUDIT_EVENTS), clock, scheduler, MAX_SLEEP_MILLIS, (r, millis) -> {});
        admissions.rooms(List.of(ROOM));
        return new TicketQueue(state, clock, admissions);
    }

    /** Queues a new ticket: 12 random bytes in hex, as Wicket's. */
    CompletionStage<Ticket> enqueue() {
        byte[] id = new byte[12];
        RANDOM.nextBytes(id);
        String ticket = HexFormat.of().formatHex(id);
        long now = clock.epochMillis();
        return state.enqueue(ROOM, ticket, now).thenApply(enqueued -> new Ticket(ticket, now / 1000));
    }

    /** Where {@code ticketId} stands; empty when it is unknown (never issued, admitted long ago, or given up). */
    CompletionStage<Optional<Status>> status(String ticketId) {
        return state.status(ROOM, ticketId, clock.epochMillis()).thenApply(standing -> {
            long cursor = stats().map(RoomStats::admittedTotal).orElse(0L);
            return switch (standing.state()) {
                case UNKNOWN -> Optional.empty();
                case READY -> Optional.of(new Status(ticketId, cursor, cursor, 0, true));
                case QUEUED -> Optional.of(queued(ticketId, standing, cursor));
            };
        });
    }

    private static Status queued(String ticketId, Standing standing, long cursor) {
        return new Status(ticketId, cursor + standing.position(), cursor, standing.position() - 1, false);
    }

    /**
     * An operator's advance: admits up to {@code count} waiting tickets now, from the head, whatever
     * the policy; then the queue's fresh counts.
     */
    CompletionStage<RoomStats> advance(long count) {
        long now = clock.epochMillis();
        return state.admit(ROOM, count, now).thenCompose(admitted -> state.stats(ROOM, now));
    }

    /** The queue's counts now (not the last admission round's). */
    CompletionStage<RoomStats> counts() {
        return state.stats(ROOM, clock.epochMillis());
    }

    /** Tickets waiting now, as the last admission round counted them (a second old at most); 0 before. */
    long size() {
        return stats().map(RoomStats::queued).orElse(0L);
    }

    /** Tickets admitted so far, as the last admission round counted them; 0 before. */
    long cursor() {
        return stats().map(RoomStats::admittedTotal).orElse(0L);
    }

    private Optional<RoomStats> stats() {
        return admissions.stats(ROOM);
    }

    @Override
    public void close() {
        admissions.close();
    }
}
