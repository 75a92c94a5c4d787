package dev.gatehouse.gateway;

import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.vrf.Ecvrf;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.MemoryTenantStore;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.DrawFiles;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.draw.Beacon;
import dev.gatehouse.waitingroom.draw.BeaconChain;
import dev.gatehouse.waitingroom.draw.Commitment;
import dev.gatehouse.waitingroom.draw.Draw;
import dev.gatehouse.waitingroom.draw.DrawCheckException;
import dev.gatehouse.waitingroom.draw.DrawCommit;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import dev.gatehouse.waitingroom.draw.Drawn;
import dev.gatehouse.waitingroom.draw.InclusionProof;
import dev.gatehouse.waitingroom.draw.Signed;
import dev.gatehouse.waitingroom.draw.TicketList;
import dev.gatehouse.waitingroom.draw.TicketTree;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
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

    /** Audit events of admissions kept in memory (the gateway has no database). */
    private static final int AUDIT_EVENTS = 1_000;

    /** How long the admission loop sleeps at most, to see what other replicas changed. */
    private static final long MAX_SLEEP_MILLIS = 1_000;

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A ticket's standing on Wicket's wire; a ticket registered in a pre-queue ({@code prequeue}) has
     * no position until the draw.
     */
    record Status(String ticketId, long position, long cursor, long ahead, boolean admitted, boolean prequeue) {}

    /** A new ticket and when it was issued (Unix seconds). */
    record Ticket(String ticketId, long issued) {}

    /**
     * An open or reveal: the tickets committed and the commitment's root (none without tickets), and
     * whether they were drawn and queued, or wait for {@code beacon}'s round to be revealed.
     */
    record Opened(
            long tickets,
            Optional<String> root,
            boolean drawn,
            @Nullable Beacon beacon) {}

    /** An open or reveal the queue's state refuses; its message says why (409). */
    static final class NotNowException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NotNowException(String message) {
            super(message);
        }
    }

    private static final String FIFO = "a fifo queue has no pre-queue to open (queue.type: vrf or ecvrf has)";

    private final QueueState state;
    private final WallClock clock;
    private final Admissions admissions;
    private final @Nullable Draw draw;
    private final String drawRoom;
    private final @Nullable BeaconChain beacon;
    private final AtomicReference<@Nullable Kept> kept = new AtomicReference<>();
    private final AtomicReference<@Nullable CompletableFuture<Opened>> operating = new AtomicReference<>();
    private final AtomicReference<@Nullable CompletableFuture<TicketTree>> tree = new AtomicReference<>();

    private TicketQueue(
            QueueState state,
            WallClock clock,
            Admissions admissions,
            @Nullable Draw draw,
            String drawRoom,
            @Nullable BeaconChain beacon) {
        this.state = state;
        this.clock = clock;
        this.admissions = admissions;
        this.draw = draw;
        this.drawRoom = drawRoom;
        this.beacon = beacon;
    }

    /** The queue in {@code state}, configured from {@code config} and advancing on {@code scheduler}. */
    static TicketQueue start(GatewayConfig.Queue config, QueueState state, WallClock clock, Scheduler scheduler) {
        RoomConfig room = RoomConfig.DEFAULTS.with(Map.of(
                RoomConfig.Field.ADMISSION_LIMIT, config.admitCount(),
                RoomConfig.Field.ADMISSION_FREQUENCY, config.admitInterval().toSeconds(),
                RoomConfig.Field.MAX_ACTIVE_USERS, config.maxActive(),
                RoomConfig.Field.READY_TTL_SECONDS, config.admittedFor().toSeconds()));
        state.configure(ROOM, room, clock.epochMillis()).toCompletableFuture().join();
        Draw draw = null;
        if (config.drawn()) {
            byte[] vrfKey = config.vrfKey().isEmpty()
                    ? Ecvrf.generateSecretKey()
                    : HexFormat.of().parseHex(config.vrfKey());
            byte[] signingSeed = config.signingKey().isEmpty()
                    ? SigningKey.generateSeed()
                    : HexFormat.of().parseHex(config.signingKey());
            draw = new Draw(vrfKey, SigningKey.fromSeed(signingSeed));
            state.startPrequeue(ROOM).toCompletableFuture().join();
        }
        Admissions admissions = new Admissions(
                state, new MemoryTenantStore(AUDIT_EVENTS), clock, scheduler, MAX_SLEEP_MILLIS, (r, millis) -> {});
        admissions.rooms(List.of(ROOM));
        return new TicketQueue(state, clock, admissions, draw, config.room(), config.beacon());
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
     * The operator's open of a pre-queue: closes it and commits the registered tickets; without a
     * beacon, draws their order at once and queues them in it, then whoever registered during the
     * draw; with one, names the beacon's next round and waits for {@link #reveal}. What another
     * replica kept is taken as it is. Fails with {@link NotNowException} when no pre-queue is running.
     */
    CompletionStage<Opened> open() {
        return once(this::openNow);
    }

    /**
     * {@code operation}, unless an open or reveal is running in this process already: then that one's
     * answer (fifty operators' clicks draw once; replicas opening together still each find the other's
     * kept files and agree).
     */
    private CompletionStage<Opened> once(java.util.function.Supplier<CompletionStage<Opened>> operation) {
        CompletableFuture<Opened> mine = new CompletableFuture<>();
        CompletableFuture<Opened> running = operating.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        operation.get().whenComplete((opened, failure) -> {
            operating.set(null);
            if (failure != null) {
                mine.completeExceptionally(failure);
            } else {
                mine.complete(opened);
            }
        });
        return mine;
    }

    private CompletionStage<Opened> openNow() {
        Draw room = draw;
        if (room == null) {
            return CompletableFuture.failedStage(new NotNowException(FIFO));
        }
        long now = clock.epochMillis();
        return state.closePrequeue(ROOM)
                .thenCompose(registered -> {
                    if (registered.isEmpty()) {
                        throw new NotNowException("no pre-queue is running: the queue is open");
                    }
                    return state.draw(ROOM).thenCompose(kept -> {
                        if (kept.isPresent() || registered.get().isEmpty()) {
                            return CompletableFuture.completedFuture(kept);
                        }
                        return compute(() -> commit(room, registered.get(), now))
                                .thenCompose(files -> state.keepCommit(ROOM, files.commit(), files.tickets()))
                                .thenApply(Optional::of);
                    });
                })
                .thenCompose(kept -> {
                    if (kept.isEmpty()) {
                        return place(List.of(), 0, now).thenApply(v -> new Opened(0, Optional.empty(), true, null));
                    }
                    if (kept.get().record() == null && beacon != null) {
                        return CompletableFuture.completedFuture(awaiting(kept.get()));
                    }
                    return drawAndPlace(room, kept.get(), null, now);
                });
    }

    /**
     * The reveal of the committed beacon round's value ({@code beaconValue}, its raw bytes): draws the
     * committed tickets' order with it and queues them. Fails with {@link NotNowException} before an
     * open, without a beacon, or before the round's time.
     */
    CompletionStage<Opened> reveal(byte[] beaconValue) {
        return once(() -> revealNow(beaconValue));
    }

    private CompletionStage<Opened> revealNow(byte[] beaconValue) {
        Draw room = draw;
        if (room == null) {
            return CompletableFuture.failedStage(new NotNowException(FIFO));
        }
        if (beacon == null) {
            return CompletableFuture.failedStage(
                    new NotNowException("the queue has no beacon (queue.beacon): the open draws at once"));
        }
        long now = clock.epochMillis();
        return state.draw(ROOM).thenCompose(kept -> {
            if (kept.isEmpty()) {
                throw new NotNowException("nothing is committed: POST /queue/open first");
            }
            return drawAndPlace(room, kept.get(), beaconValue, now);
        });
    }

    /** Draws the kept commitment (unless a record is kept), keeps the record, and queues the order it gives. */
    private CompletionStage<Opened> drawAndPlace(Draw room, DrawFiles kept, byte @Nullable [] beaconValue, long now) {
        CompletionStage<DrawFiles> drawn = kept.record() != null
                ? CompletableFuture.completedFuture(kept)
                : compute(() -> drawRecord(room, kept, beaconValue, now))
                        .thenCompose(record -> state.keepRecord(ROOM, record));
        return drawn.thenCompose(files -> compute(() -> order(files, beaconValue)))
                .thenCompose(order -> place(order, 0, now)
                        .thenApply(v -> new Opened(
                                order.size(), Optional.of(commitOf(kept).root()), true, null)));
    }

    private Opened awaiting(DrawFiles kept) {
        DrawCommit commit = commitOf(kept);
        return new Opened(commit.size(), Optional.of(commit.root()), false, commit.beacon());
    }

    private DrawFiles commit(Draw room, List<String> registered, long nowMillis) {
        long now = nowMillis / 1000;
        Beacon round = beacon == null ? null : beacon.firstRoundAfter(now);
        Commitment commitment = room.commit(drawRoom, registered, now, round);
        return new DrawFiles(
                new String(commitment.commit().file(), StandardCharsets.UTF_8),
                new String(commitment.tree().ticketListFile(), StandardCharsets.US_ASCII),
                null);
    }

    private static String drawRecord(Draw room, DrawFiles kept, byte @Nullable [] beaconValue, long nowMillis) {
        DrawCommit commit = commitOf(kept);
        Beacon named = commit.beacon();
        long now = nowMillis / 1000;
        if (named != null && beaconValue == null) {
            throw new NotNowException(
                    "the commit names beacon round " + named.round() + ": POST /queue/reveal with its value");
        }
        if (named != null && now < named.roundTime()) {
            throw new NotNowException("beacon round " + named.round() + " is published at " + named.roundTime()
                    + ", in " + (named.roundTime() - now) + " s");
        }
        Commitment commitment = new Commitment(
                signedCommit(kept), TicketTree.of(kept.tickets().lines().toList()));
        try {
            Drawn drawn = room.draw(commitment, named == null ? null : beaconValue, now);
            return new String(drawn.record().file(), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new NotNowException("the kept commit cannot be drawn here: " + e.getMessage()
                    + " (every replica needs the same queue.vrf_key and queue.signing_key)");
        }
    }

    private static DrawCommit commitOf(DrawFiles kept) {
        return signedCommit(kept).document();
    }

    private static Signed<DrawCommit> signedCommit(DrawFiles kept) {
        try {
            return DrawCommit.readFile(kept.commit().getBytes(StandardCharsets.UTF_8));
        } catch (DrawCheckException e) {
            throw new IllegalStateException("the kept commit does not read: " + e.getMessage(), e);
        }
    }

    /**
     * The drawn order of the kept files, found as any verifier finds it: the files are checked first;
     * a reveal's {@code beaconValue} must be the one the record was drawn with.
     */
    private static List<String> order(DrawFiles files, byte @Nullable [] beaconValue) {
        DrawRecord record;
        try {
            record = DrawVerifier.checkRecord(
                    java.util.Objects.requireNonNull(files.record()).getBytes(StandardCharsets.UTF_8),
                    null,
                    files.commit().getBytes(StandardCharsets.UTF_8));
        } catch (DrawCheckException e) {
            throw new IllegalStateException("the kept draw does not check out: " + e.getMessage(), e);
        }
        String drawnWith = record.beaconValue();
        if (beaconValue != null
                && drawnWith != null
                && !drawnWith.equals(HexFormat.of().formatHex(beaconValue))) {
            throw new NotNowException("drawn already, with beacon value " + drawnWith);
        }
        try {
            return DrawVerifier.checkTickets(record, files.tickets().getBytes(StandardCharsets.US_ASCII));
        } catch (DrawCheckException e) {
            throw new IllegalStateException("the kept draw does not check out: " + e.getMessage(), e);
        }
    }

    /** {@code work} off the caller's thread (an event loop): hashing a large draw takes a while. */
    private static <T> CompletionStage<T> compute(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, ForkJoinPool.commonPool());
    }

    /**
     * Places {@code order} from {@code from} on, a batch a call, then (in calls of their own, as many
     * as it takes) whoever registered during the draw, which ends the pre-queue.
     */
    private CompletionStage<Void> place(List<String> order, int from, long nowMillis) {
        int to = Math.min(order.size(), from + QueueState.MAX_ADMITTED_PER_ADVANCE);
        boolean last = to == order.size();
        return state.placeDrawn(ROOM, order.subList(from, to), last, nowMillis).thenCompose(ended -> {
            if (ended) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            return last ? place(List.of(), 0, nowMillis) : place(order, to, nowMillis);
        });
    }

    /**
     * The kept draw's files, encoded once: the commit and ticket list once committed, the record once
     * drawn. Kept files never change, so each is read from the store once (a list of a million
     * tickets is 33 MB) and served from here; until the record exists, only it is asked for.
     */
    CompletionStage<Optional<Kept>> files() {
        Kept known = kept.get();
        if (known == null) {
            return state.draw(ROOM)
                    .thenApply(files -> files.map(read -> {
                        Kept encoded = new Kept(read);
                        return kept.compareAndSet(null, encoded)
                                ? encoded
                                : java.util.Objects.requireNonNull(kept.get());
                    }));
        }
        if (known.record() != null) {
            return CompletableFuture.completedFuture(Optional.of(known));
        }
        return state.drawRecord(ROOM).thenApply(record -> {
            if (record.isEmpty()) {
                return Optional.of(known);
            }
            Kept drawn = known.withRecord(record.get());
            kept.set(drawn);
            return Optional.of(drawn);
        });
    }

    /** A draw's files as served: bytes encoded once. */
    static final class Kept {
        private final DrawFiles files;
        private final byte[] commit;
        private final byte[] tickets;
        private final byte @Nullable [] record;

        Kept(DrawFiles files) {
            this(files, files.tickets().getBytes(StandardCharsets.US_ASCII));
        }

        private Kept(DrawFiles files, byte[] tickets) {
            this.files = files;
            this.commit = files.commit().getBytes(StandardCharsets.UTF_8);
            this.tickets = tickets;
            String text = files.record();
            this.record = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
        }

        Kept withRecord(String drawnRecord) {
            return new Kept(new DrawFiles(files.commit(), files.tickets(), drawnRecord), tickets);
        }

        DrawFiles files() {
            return files;
        }

        byte[] commit() {
            return commit;
        }

        byte[] tickets() {
            return tickets;
        }

        byte @Nullable [] record() {
            return record;
        }
    }

    /** The inclusion proof of {@code ticket} in the kept draw; empty before the draw or for a ticket not in it. */
    CompletionStage<Optional<InclusionProof>> proof(String ticket) {
        return files().thenCompose(files -> {
            if (files.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            CompletableFuture<TicketTree> built = tree.get();
            if (built == null) {
                CompletableFuture<TicketTree> building = CompletableFuture.supplyAsync(
                        () -> TicketTree.of(
                                files.get().files().tickets().lines().toList()),
                        ForkJoinPool.commonPool());
                built = tree.compareAndSet(null, building) ? building : tree.get();
            }
            return java.util.Objects.requireNonNull(built).thenApply(t -> t.inclusionProof(ticket));
        });
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
