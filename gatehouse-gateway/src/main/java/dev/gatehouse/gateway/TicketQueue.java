package dev.gatehouse.gateway;

import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomDraw;
import dev.gatehouse.waitingroom.RoomDraw.Opened;
import dev.gatehouse.waitingroom.draw.Draw;
import dev.gatehouse.waitingroom.draw.TicketList;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's queue, on the waiting room's queue domain: a ticket is a room's user, so the queue
 * lives in this process or in Redis for every replica alike (Wicket's is process-local, and needs
 * sticky sessions), and admits by itself from the file's policy ({@code admit_count} every {@code
 * admit_interval}, {@code max_active} at once) where Wicket's sidecar never admits anyone. Wicket's
 * wire is kept: positions count from the queue's start, the cursor is how many were admitted.
 *
 * <p>The types {@code vrf} and {@code ecvrf} start as a pre-queue: tickets are registered without a
 * place until the operator opens the queue, which draws their order ({@code gatehouse/draw/v1}: a
 * commitment to the tickets, an ECVRF over it, both records signed), queues them in that order, and
 * queues whoever came during the draw behind them; later tickets queue in arrival order. The draw's
 * files are kept in the store, so every replica serves them and a second open changes nothing.
 */
final class TicketQueue implements AutoCloseable {

    /** The room the gateway's tickets live in (under the store's key prefix). */
    static final String ROOM = "gateway";

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A ticket's standing on Wicket's wire; a ticket registered in a pre-queue ({@code prequeue}) has
     * no position until the draw.
     */
    record Status(String ticketId, long position, long cursor, long ahead, boolean admitted, boolean prequeue) {}

    /** A new ticket and when it was issued (Unix seconds). */
    record Ticket(String ticketId, long issued) {}

    private static final String FIFO = "a fifo queue has no pre-queue to open (queue.type: vrf or ecvrf has)";

    private final QueueState state;
    private final WallClock clock;
    private final Admissions admissions;
    private final @Nullable RoomDraw draw;

    private TicketQueue(QueueState state, WallClock clock, Admissions admissions, @Nullable RoomDraw draw) {
        this.state = state;
        this.clock = clock;
        this.admissions = admissions;
        this.draw = draw;
    }

    /** The queue in {@code state}, configured from {@code config} and advancing on {@code scheduler}. */
    static TicketQueue start(GatewayConfig.Queue config, QueueState state, WallClock clock, Scheduler scheduler) {
        RoomConfig room = RoomConfig.DEFAULTS.with(Map.of(
                RoomConfig.Field.ADMISSION_LIMIT, config.admitCount(),
                RoomConfig.Field.ADMISSION_FREQUENCY, config.admitInterval().toSeconds(),
                RoomConfig.Field.MAX_ACTIVE_USERS, config.maxActive(),
                RoomConfig.Field.READY_TTL_SECONDS, config.admittedFor().toSeconds()));
        RoomDraw draw = null;
        if (config.drawn()) {
            // a ticket id is a ticket of the draw already
            draw = new RoomDraw(
                    state,
                    ROOM,
                    config.room(),
                    Draw.ofHexKeys(config.vrfKey(), config.signingKey()),
                    config.beacon(),
                    UnaryOperator.identity());
            state.startPrequeue(ROOM).toCompletableFuture().join();
        }
        // the loop starts once the pre-queue (if any) is: its first advance sees the queue as it is served
        return new TicketQueue(state, clock, GatewayRooms.start(state, ROOM, room, clock, scheduler), draw);
    }

    /** Whether the queue's first order is drawn (a pre-queue until the open). */
    boolean drawn() {
        return draw != null;
    }

    /**
     * Queues a new ticket (or registers it in the pre-queue): random hex, 12 bytes as Wicket's, 16
     * for a draw (ticket ids of {@code gatehouse/draw/v1}).
     */
    CompletionStage<Ticket> enqueue() {
        byte[] id = new byte[draw == null ? 12 : TicketList.ID_LENGTH / 2];
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
                case REGISTERED -> Optional.of(new Status(ticketId, 0, cursor, 0, false, true));
                case READY -> Optional.of(new Status(ticketId, cursor, cursor, 0, true, false));
                case QUEUED -> Optional.of(queued(ticketId, standing, cursor));
            };
        });
    }

    private static Status queued(String ticketId, Standing standing, long cursor) {
        return new Status(ticketId, cursor + standing.position(), cursor, standing.position() - 1, false, false);
    }

    /**
     * An operator's advance: admits up to {@code count} waiting tickets now, from the head, whatever
     * the policy; then the queue's fresh counts.
     */
    CompletionStage<RoomStats> advance(long count) {
        long now = clock.epochMillis();
        return state.admit(ROOM, count, now).thenCompose(admitted -> state.stats(ROOM, now));
    }

    /**
     * The operator's open of a pre-queue (see {@link RoomDraw#open}). Fails with {@link
     * RoomDraw.RefusedException} when no pre-queue is running.
     */
    CompletionStage<Opened> open() {
        RoomDraw room = draw;
        if (room == null) {
            return CompletableFuture.failedStage(new RoomDraw.RefusedException(FIFO));
        }
        return room.open(clock.epochMillis());
    }

    /**
     * The reveal of the committed beacon round's value (see {@link RoomDraw#reveal}). Fails with
     * {@link RoomDraw.RefusedException} before an open, without a beacon, or before the round's time.
     */
    CompletionStage<Opened> reveal(byte[] beaconValue) {
        RoomDraw room = draw;
        if (room == null) {
            return CompletableFuture.failedStage(new RoomDraw.RefusedException(FIFO));
        }
        if (!room.hasBeacon()) {
            return CompletableFuture.failedStage(
                    new RoomDraw.RefusedException("the queue has no beacon (queue.beacon): the open draws at once"));
        }
        return room.reveal(beaconValue, clock.epochMillis());
    }

    /** The queue's draw; empty for a fifo queue. */
    Optional<RoomDraw> draw() {
        return Optional.ofNullable(draw);
    }

    /** The queue's counts now (not the last admission round's). */
    CompletionStage<RoomStats> counts() {
        return state.stats(ROOM, clock.epochMillis());
    }

    /** Tickets waiting or registered now, as the last admission round counted them (a second old at most); 0 before. */
    long size() {
        return stats().map(s -> s.queued() + s.registered()).orElse(0L);
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
