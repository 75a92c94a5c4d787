package dev.gatehouse.waitingroom;

import dev.gatehouse.waitingroom.QueueState.DrawFiles;
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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One room's pre-queue draw ({@code gatehouse/draw/v1}) on the queue state: the open closes the
 * pre-queue and commits its users' tickets; the draw (at once, or at the reveal of the committed
 * beacon round's value) orders them with the room's ECVRF key, and the order is queued, followed by
 * whoever registered meanwhile. Every file is kept in the store before it is acted on, so any replica
 * may open, reveal or serve the files, several may do so at once, and they agree: a second open finds
 * the kept commit and draws it, a second placement of the same order changes nothing.
 *
 * <p>A user takes part under a ticket id ({@code ticketOf}): the user id itself where it is one (the
 * gateway's tickets), a keyed hash of it otherwise (a room's user ids are the business's, and the
 * ticket list is public after the draw).
 */
public final class RoomDraw {

    /**
     * An open or reveal: the tickets committed and the commitment's root (none without tickets), and
     * whether they were drawn and queued, or wait for {@code beacon}'s round to be revealed.
     */
    public record Opened(
            long tickets,
            Optional<String> root,
            boolean drawn,
            @Nullable Beacon beacon) {}

    /** An open or reveal the room's state refuses now; its message says why. */
    public static final class RefusedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        private final boolean noPrequeue;

        public RefusedException(String message) {
            this(message, false);
        }

        private RefusedException(String message, boolean noPrequeue) {
            super(message);
            this.noPrequeue = noPrequeue;
        }

        /** Whether it is refused because no pre-queue runs (none began, or its draw is placed). */
        public boolean noPrequeue() {
            return noPrequeue;
        }
    }

    private final QueueState state;
    private final String room;
    private final String drawRoom;
    private final Draw draw;
    private final @Nullable BeaconChain beacon;
    private final UnaryOperator<String> ticketOf;
    private final AtomicReference<@Nullable Kept> kept = new AtomicReference<>();
    private final AtomicReference<@Nullable CompletableFuture<Opened>> operating = new AtomicReference<>();
    private final AtomicReference<@Nullable CompletableFuture<TicketTree>> tree = new AtomicReference<>();

    /**
     * The draw of {@code room} in {@code state}, whose records name the room {@code drawRoom}, drawn
     * with {@code draw}'s keys after {@code beacon}'s next round when given; a user takes part as
     * {@code ticketOf(user)}, a ticket id of the draw, distinct for distinct users.
     */
    public RoomDraw(
            QueueState state,
            String room,
            String drawRoom,
            Draw draw,
            @Nullable BeaconChain beacon,
            UnaryOperator<String> ticketOf) {
        this.state = state;
        this.room = room;
        this.drawRoom = drawRoom;
        this.draw = draw;
        this.beacon = beacon;
        this.ticketOf = ticketOf;
    }

    /** Whether the draw waits for a beacon round's value after the open. */
    public boolean hasBeacon() {
        return beacon != null;
    }

    /** The ticket id under which {@code user} takes part. */
    public String ticketOf(String user) {
        return ticketOf.apply(user);
    }

    /**
     * Closes the pre-queue and commits the registered users' tickets; without a beacon, draws their
     * order at once and queues them in it, then whoever registered during the draw; with one, names
     * the beacon's next round and waits for {@link #reveal}. What another replica kept is taken as it
     * is. Fails with {@link RefusedException} when no pre-queue is running.
     */
    public CompletionStage<Opened> open(long nowMillis) {
        return once(() -> openNow(nowMillis));
    }

    /**
     * The reveal of the committed beacon round's value ({@code beaconValue}, its raw bytes): draws the
     * committed tickets' order with it and queues them. Fails with {@link RefusedException} before an
     * open, without a beacon, before the round's time, or with another value than a draw already used.
     */
    public CompletionStage<Opened> reveal(byte[] beaconValue, long nowMillis) {
        return once(() -> revealNow(beaconValue, nowMillis));
    }

    /**
     * {@code operation}, unless an open or reveal is running in this process already: then that one's
     * answer (fifty clicks draw once; replicas opening together still each find the other's kept
     * files and agree).
     */
    private CompletionStage<Opened> once(Supplier<CompletionStage<Opened>> operation) {
        CompletableFuture<Opened> mine = new CompletableFuture<>();
        CompletableFuture<Opened> running = operating.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        CompletionStage<Opened> started;
        try {
            started = operation.get();
        } catch (RuntimeException e) {
            started = CompletableFuture.failedStage(e);
        }
        started.whenComplete((opened, failure) -> {
            operating.set(null);
            if (failure != null) {
                mine.completeExceptionally(failure);
            } else {
                mine.complete(opened);
            }
        });
        return mine;
    }

    private CompletionStage<Opened> openNow(long now) {
        return state.closePrequeue(room).thenCompose(registered -> {
            if (registered.isEmpty()) {
                throw new RefusedException("no pre-queue is running: the queue is open", true);
            }
            List<String> users = registered.get();
            return state.draw(room)
                    .thenCompose(kept -> {
                        if (kept.isPresent() || users.isEmpty()) {
                            return CompletableFuture.completedFuture(kept);
                        }
                        return compute(() -> commit(users, now))
                                .thenCompose(files -> state.keepCommit(room, files.commit(), files.tickets()))
                                .thenApply(Optional::of);
                    })
                    .thenCompose(kept -> {
                        if (kept.isEmpty()) {
                            return place(List.of(), 0, now).thenApply(v -> new Opened(0, Optional.empty(), true, null));
                        }
                        if (kept.get().record() == null && beacon != null) {
                            return CompletableFuture.completedFuture(awaiting(kept.get()));
                        }
                        return drawAndPlace(kept.get(), null, users, now);
                    });
        });
    }

    private CompletionStage<Opened> revealNow(byte[] beaconValue, long now) {
        if (beacon == null) {
            return CompletableFuture.failedStage(
                    new RefusedException("the draw names no beacon: the open draws at once"));
        }
        return state.draw(room).thenCompose(kept -> {
            if (kept.isEmpty()) {
                throw new RefusedException("nothing is committed: the pre-queue is not opened yet");
            }
            return state.closePrequeue(room)
                    .thenCompose(unplaced -> drawAndPlace(kept.get(), beaconValue, unplaced.orElse(List.of()), now));
        });
    }

    /**
     * Draws the kept commitment (unless a record is kept), keeps the record, and queues those of
     * {@code unplaced} (the registered users not placed yet) in the order it gives.
     */
    private CompletionStage<Opened> drawAndPlace(
            DrawFiles kept, byte @Nullable [] beaconValue, List<String> unplaced, long now) {
        CompletionStage<DrawFiles> drawn = kept.record() != null
                ? CompletableFuture.completedFuture(kept)
                : compute(() -> drawRecord(kept, beaconValue, now))
                        .thenCompose(record -> state.keepRecord(room, record));
        return drawn.thenCompose(files -> compute(() -> users(order(files, beaconValue), unplaced)))
                .thenCompose(users -> place(users, 0, now))
                .thenApply(v -> {
                    DrawCommit commit = commitOf(kept);
                    return new Opened(commit.size(), Optional.of(commit.root()), true, null);
                });
    }

    /** The users of {@code unplaced} whose tickets are in {@code order}, in that order. */
    private List<String> users(List<String> order, List<String> unplaced) {
        Map<String, String> byTicket = new HashMap<>(unplaced.size() * 2);
        for (String user : unplaced) {
            byTicket.put(ticketOf(user), user);
        }
        return order.stream().map(byTicket::get).filter(Objects::nonNull).toList();
    }

    private Opened awaiting(DrawFiles kept) {
        DrawCommit commit = commitOf(kept);
        return new Opened(commit.size(), Optional.of(commit.root()), false, commit.beacon());
    }

    private DrawFiles commit(List<String> users, long nowMillis) {
        long now = nowMillis / 1000;
        Beacon round = beacon == null ? null : beacon.firstRoundAfter(now);
        Commitment commitment =
                draw.commit(drawRoom, users.stream().map(this::ticketOf).toList(), now, round);
        return new DrawFiles(
                new String(commitment.commit().file(), StandardCharsets.UTF_8),
                new String(commitment.tree().ticketListFile(), StandardCharsets.US_ASCII),
                null);
    }

    private String drawRecord(DrawFiles kept, byte @Nullable [] beaconValue, long nowMillis) {
        DrawCommit commit = commitOf(kept);
        Beacon named = commit.beacon();
        long now = nowMillis / 1000;
        if (named != null && beaconValue == null) {
            throw new RefusedException(
                    "the commit names beacon round " + named.round() + ": the draw waits for its value");
        }
        if (named != null && now < named.roundTime()) {
            throw new RefusedException("beacon round " + named.round() + " is published at " + named.roundTime()
                    + ", in " + (named.roundTime() - now) + " s");
        }
        Commitment commitment = new Commitment(
                signedCommit(kept), TicketTree.of(kept.tickets().lines().toList()));
        try {
            Drawn drawn = draw.draw(commitment, named == null ? null : beaconValue, now);
            return new String(drawn.record().file(), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RefusedException("the kept commit cannot be drawn here: " + e.getMessage()
                    + " (every replica needs the same VRF and signing keys)");
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
                    Objects.requireNonNull(files.record()).getBytes(StandardCharsets.UTF_8),
                    null,
                    files.commit().getBytes(StandardCharsets.UTF_8));
        } catch (DrawCheckException e) {
            throw new IllegalStateException("the kept draw does not check out: " + e.getMessage(), e);
        }
        String drawnWith = record.beaconValue();
        if (beaconValue != null
                && drawnWith != null
                && !drawnWith.equals(HexFormat.of().formatHex(beaconValue))) {
            throw new RefusedException("drawn already, with beacon value " + drawnWith);
        }
        try {
            return DrawVerifier.checkTickets(record, files.tickets().getBytes(StandardCharsets.US_ASCII));
        } catch (DrawCheckException e) {
            throw new IllegalStateException("the kept draw does not check out: " + e.getMessage(), e);
        }
    }

    /** {@code work} off the caller's thread (an event loop): hashing a large draw takes a while. */
    private static <T> CompletionStage<T> compute(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, ForkJoinPool.commonPool());
    }

    /**
     * Places {@code order} from {@code from} on, a batch a call, then (in calls of their own, as many
     * as it takes) whoever registered during the draw, which ends the pre-queue.
     */
    private CompletionStage<Void> place(List<String> order, int from, long nowMillis) {
        int to = Math.min(order.size(), from + QueueState.MAX_ADMITTED_PER_ADVANCE);
        boolean last = to == order.size();
        return state.placeDrawn(room, order.subList(from, to), last, nowMillis).thenCompose(ended -> {
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
    public CompletionStage<Optional<Kept>> files() {
        Kept known = kept.get();
        if (known == null) {
            return state.draw(room)
                    .thenApply(files -> files.map(read -> {
                        Kept encoded = new Kept(read);
                        return kept.compareAndSet(null, encoded) ? encoded : Objects.requireNonNull(kept.get());
                    }));
        }
        if (known.record() != null) {
            return CompletableFuture.completedFuture(Optional.of(known));
        }
        return state.drawRecord(room).thenApply(record -> {
            if (record.isEmpty()) {
                return Optional.of(known);
            }
            Kept drawn = known.withRecord(record.get());
            kept.set(drawn);
            return Optional.of(drawn);
        });
    }

    /** The inclusion proof of {@code ticket} in the kept draw; empty before the commit or for a ticket not in it. */
    public CompletionStage<Optional<InclusionProof>> proof(String ticket) {
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
            return Objects.requireNonNull(built).thenApply(t -> t.inclusionProof(ticket));
        });
    }

    /** The names of the draw's files, as {@link #file} takes them. */
    public static final List<String> FILES = List.of("record", "commit", "tickets", "proof");

    /**
     * One of the draw's files, for anyone to check ({@code gatehouse verify} takes them): {@code
     * record} (the signed draw record, once drawn), {@code commit} (the signed commit record), {@code
     * tickets} (the ticket list) or {@code proof} (the inclusion proof of {@code ticket}, a ticket
     * id). Refusals name what is missing or malformed; {@code name} is one of {@link #FILES}.
     */
    public CompletionStage<DrawFile> file(String name, String ticket) {
        if (name.equals("proof")) {
            if (!TicketList.isId(ticket)) {
                return CompletableFuture.completedFuture(
                        DrawFile.malformed(ticket.isEmpty() ? "ticket required" : "ticket: not a ticket id of a draw"));
            }
            return proof(ticket)
                    .thenApply(proof -> proof.map(found -> DrawFile.json(found.file()))
                            .orElseGet(() -> DrawFile.missing("no draw, or the ticket is not in it")));
        }
        return files().thenApply(files -> {
            if (files.isEmpty()) {
                return DrawFile.missing("no draw yet");
            }
            Kept kept = files.get();
            byte[] record = kept.record();
            return switch (name) {
                case "record" ->
                    record == null
                            ? DrawFile.missing("not drawn yet: the commit waits for its beacon round")
                            : DrawFile.json(record);
                case "commit" -> DrawFile.json(kept.commit());
                case "tickets" -> new DrawFile(kept.tickets(), TicketList.MEDIA_TYPE, null, false);
                default -> throw new IllegalArgumentException("file: " + name + " (expected: one of " + FILES + ")");
            };
        });
    }

    /**
     * A draw file, or why there is none: {@code bytes} with their {@code mediaType}, or a refusal
     * ({@code malformed} when the request named no valid ticket, else the file does not exist).
     */
    public static final class DrawFile {
        private static final String JSON = "application/json";

        private final byte @Nullable [] bytes;
        private final String mediaType;
        private final @Nullable String refusal;
        private final boolean malformed;

        private DrawFile(byte @Nullable [] bytes, String mediaType, @Nullable String refusal, boolean malformed) {
            this.bytes = bytes;
            this.mediaType = mediaType;
            this.refusal = refusal;
            this.malformed = malformed;
        }

        static DrawFile json(byte[] bytes) {
            return new DrawFile(bytes, JSON, null, false);
        }

        static DrawFile missing(String why) {
            return new DrawFile(null, JSON, why, false);
        }

        static DrawFile malformed(String why) {
            return new DrawFile(null, JSON, why, true);
        }

        /** The file's bytes; null when refused. */
        public byte @Nullable [] bytes() {
            return bytes;
        }

        public String mediaType() {
            return mediaType;
        }

        /** Why there is no file; null when there is one. */
        public @Nullable String refusal() {
            return refusal;
        }

        /** Whether the refusal is of the request (no valid ticket id) rather than of a missing file. */
        public boolean malformed() {
            return malformed;
        }
    }

    /** A draw's files as served: bytes encoded once. */
    public static final class Kept {
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

        public DrawFiles files() {
            return files;
        }

        /** The signed commit record's bytes. */
        public byte[] commit() {
            return commit;
        }

        /** The ticket list file's bytes. */
        public byte[] tickets() {
            return tickets;
        }

        /** The signed draw record's bytes; null until the draw. */
        public byte @Nullable [] record() {
            return record;
        }
    }
}
