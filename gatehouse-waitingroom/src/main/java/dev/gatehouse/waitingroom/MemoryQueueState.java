package dev.gatehouse.waitingroom;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.limit.Budget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@link QueueState} in this process: one lock per room, users by id in an {@link EntryTable} (a
 * keyed hash, grown a few buckets a call), positions from a {@link QueueLine} (O(log n) per poll,
 * exact after abandonments), abandonment in least-recently-seen order, ready users by expiry. A
 * queued user costs about 122 bytes of heap with an id of 7 to 12 characters (a million users: 117
 * MiB; {@code docs/benchmarks.md}, "Growing to four million users"), and about 350 with one of 256.
 * The users of all its rooms together are held to a share of the heap, each counted at {@link
 * #USER_BYTES} and a byte a character of its id: past it, a new user is refused ({@link
 * RoomStoreUnavailableException}), so that joins from many clients fill the store, not the heap.
 */
public final class MemoryQueueState implements QueueState {

    /** What a user held costs, besides its id's characters: a little above what one costs. */
    static final long USER_BYTES = 128;

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final Memory memory;

    /** A store with no rooms yet, its users held to half the heap's most. */
    public MemoryQueueState() {
        this.memory = new Memory(Budget.ofHeap(0.5));
    }

    /** A store with no rooms yet, its users held to {@code maxBytes} (as {@link #USER_BYTES} counts them). */
    public MemoryQueueState(long maxBytes) {
        this.memory = new Memory(new Budget(maxBytes));
    }

    @Override
    public CompletionStage<RoomConfig> config(String room) {
        return done(room, r -> r.config);
    }

    @Override
    public CompletionStage<Void> configure(String room, RoomConfig config, long nowMillis) {
        Room r = room(room);
        synchronized (r) {
            r.configure(config, nowMillis);
        }
        return DONE;
    }

    @Override
    public CompletionStage<Boolean> configureIfUnchanged(
            String room, RoomConfig expected, RoomConfig config, long nowMillis) {
        return done(room, r -> {
            if (!r.config.equals(expected)) {
                return false;
            }
            r.configure(config, nowMillis);
            return true;
        });
    }

    @Override
    public CompletionStage<Boolean> configureIfAbsent(String room, RoomConfig config) {
        return done(room, r -> {
            if (r.configured) {
                return false;
            }
            r.config = config;
            r.configured = true;
            return true;
        });
    }

    @Override
    public CompletionStage<Enqueued> enqueue(String room, String user, long nowMillis) {
        Room r = room(room);
        synchronized (r) {
            Enqueued enqueued = r.enqueue(user, nowMillis);
            return enqueued == null
                    ? CompletableFuture.failedFuture(new RoomStoreUnavailableException(
                            "the waiting room's store in memory is full: its users take the "
                                    + memory.bytes.max() / (1024 * 1024)
                                    + " MiB it may hold; a new user is refused until some leave",
                            null))
                    : CompletableFuture.completedFuture(enqueued);
        }
    }

    @Override
    public CompletionStage<Standing> status(String room, String user, long nowMillis) {
        return done(room, r -> r.standing(user, nowMillis, true));
    }

    @Override
    public CompletionStage<Standing> standing(String room, String user, long nowMillis) {
        return done(room, r -> r.standing(user, nowMillis, false));
    }

    @Override
    public CompletionStage<Standing> touch(String room, String user, long nowMillis) {
        return done(room, r -> r.touch(user, nowMillis));
    }

    @Override
    public CompletionStage<Finish> finish(String room, String user, long nowMillis) {
        return done(room, r -> r.finish(user, nowMillis));
    }

    @Override
    public CompletionStage<Advance> advance(String room, long nowMillis) {
        return done(room, r -> r.advance(nowMillis));
    }

    @Override
    public CompletionStage<List<Admitted>> admit(String room, long count, long nowMillis) {
        Require.inRange("count", count, 0, MAX_ADMITTED_PER_ADVANCE);
        return done(room, r -> {
            List<Admitted> admitted = new ArrayList<>();
            r.admitHead(nowMillis, count, admitted);
            return admitted;
        });
    }

    @Override
    public CompletionStage<Boolean> startPrequeue(String room) {
        return done(room, r -> {
            if (r.prequeue != Prequeue.NONE) {
                return false;
            }
            r.prequeue = Prequeue.OPEN;
            return true;
        });
    }

    @Override
    public CompletionStage<Prequeue> prequeue(String room) {
        return done(room, r -> r.prequeue);
    }

    @Override
    public CompletionStage<Optional<List<String>>> closePrequeue(String room) {
        return done(room, r -> {
            if (r.prequeue != Prequeue.OPEN && r.prequeue != Prequeue.CLOSED) {
                return Optional.empty();
            }
            r.prequeue = Prequeue.CLOSED;
            return Optional.of(List.copyOf(r.registered.keySet()));
        });
    }

    @Override
    public CompletionStage<Boolean> placeDrawn(String room, List<String> drawn, boolean last, long nowMillis) {
        Require.inRange("drawn", drawn.size(), 0, MAX_ADMITTED_PER_ADVANCE);
        Room r = room(room);
        synchronized (r) {
            try {
                return CompletableFuture.completedFuture(r.placeDrawn(drawn, last, nowMillis));
            } catch (IllegalStateException e) {
                return CompletableFuture.failedStage(e);
            }
        }
    }

    @Override
    public CompletionStage<DrawFiles> keepCommit(String room, String commit, String tickets) {
        return done(room, r -> {
            if (r.draw == null) {
                r.draw = new DrawFiles(commit, tickets, null);
            }
            return r.draw;
        });
    }

    @Override
    public CompletionStage<DrawFiles> keepRecord(String room, String record) {
        return this.<@Nullable DrawFiles>done(room, r -> {
                    DrawFiles kept = r.draw;
                    if (kept == null) {
                        return null;
                    }
                    if (kept.record() == null) {
                        r.draw = new DrawFiles(kept.commit(), kept.tickets(), record);
                    }
                    return r.draw;
                })
                .thenApply(kept -> {
                    if (kept == null) {
                        throw new IllegalStateException("no commit is kept for the draw record");
                    }
                    return kept;
                });
    }

    @Override
    public CompletionStage<Optional<DrawFiles>> draw(String room) {
        return done(room, r -> Optional.ofNullable(r.draw));
    }

    @Override
    public CompletionStage<Optional<String>> drawRecord(String room) {
        return done(room, r -> Optional.ofNullable(r.draw).map(DrawFiles::record));
    }

    @Override
    public CompletionStage<RoomStats> stats(String room, long nowMillis) {
        return done(room, Room::stats);
    }

    private <T extends @Nullable Object> CompletionStage<T> done(String name, Function<Room, T> action) {
        Room room = room(name);
        synchronized (room) {
            return CompletableFuture.completedFuture(action.apply(room));
        }
    }

    private Room room(String name) {
        return rooms.computeIfAbsent(name, n -> new Room(memory));
    }

    /**
     * A user the room knows: queued (in the line and the seen list) or ready (in the expiry heap). Its
     * two times mean one thing while it waits and another once it is ready, and it never waits again
     * (a user who comes back is a new entry), so the two pairs share two fields: 16 bytes fewer for
     * each of a million queued users; for the same reason its slot number says whether it is ready.
     */
    private static final class Entry implements EntryTable.Linked<Entry>, QueueLine.Member {
        /** {@link #slot} of a ready user. */
        static final int READY = -1;
        /** {@link #slot} of a user no longer ready, forgotten by the room. */
        static final int FORGOTTEN = -2;

        final String user;
        /** Waiting: its slot in the line; else {@link #READY} or {@link #FORGOTTEN}. */
        private int slot;
        /** Waiting: when it joined the queue. Ready: when its ready time ends. */
        private long joinedOrReadyUntil;
        /**
         * Waiting: when it last asked for its status. Ready: its key in the expiry heap, the ready
         * time's end when it went in, never changed while in it.
         */
        private long seenOrHeapKey;

        @Nullable
        Entry older;

        @Nullable
        Entry newer;

        @Nullable
        private Entry nextInChain;

        private int keyHash;

        Entry(String user) {
            this.user = user;
        }

        @Override
        public String key() {
            return user;
        }

        @Override
        public int keyHash() {
            return keyHash;
        }

        @Override
        public void keyHash(int hash) {
            keyHash = hash;
        }

        @Override
        public @Nullable Entry nextInChain() {
            return nextInChain;
        }

        @Override
        public void nextInChain(@Nullable Entry next) {
            nextInChain = next;
        }

        @Override
        public int slot() {
            return slot;
        }

        @Override
        public void slot(int slot) {
            this.slot = slot;
        }

        boolean ready() {
            return slot == READY;
        }

        long enqueuedAtMillis() {
            assert !ready();
            return joinedOrReadyUntil;
        }

        void setEnqueuedAtMillis(long millis) {
            assert !ready();
            joinedOrReadyUntil = millis;
        }

        long lastSeenMillis() {
            assert !ready();
            return seenOrHeapKey;
        }

        void setLastSeenMillis(long millis) {
            assert !ready();
            seenOrHeapKey = millis;
        }

        long readyUntilMillis() {
            assert ready();
            return joinedOrReadyUntil;
        }

        void setReadyUntilMillis(long millis) {
            assert ready();
            joinedOrReadyUntil = millis;
        }

        long heapKeyMillis() {
            return seenOrHeapKey; // also of an entry forgotten since: its heap node is skipped
        }

        void setHeapKeyMillis(long millis) {
            assert ready();
            seenOrHeapKey = millis;
        }
    }

    /** The bytes the users of every room take, as counted, within the most they may. */
    private static final class Memory {

        private final Budget bytes;

        Memory(Budget bytes) {
            this.bytes = bytes;
        }

        /** Counts {@code user} in, unless that would take more than the most; whether it did. */
        boolean take(String user) {
            return bytes.take(cost(user));
        }

        /** Counts {@code user} out. */
        void give(String user) {
            bytes.give(cost(user));
        }

        private static long cost(String user) {
            return USER_BYTES + user.length();
        }
    }

    /** One room's state; every method runs under the room's lock. */
    private static final class Room {
        final Memory memory;
        Prequeue prequeue = Prequeue.NONE;
        /** Users registered before the close, and after it: each with when it registered. */
        final LinkedHashMap<String, Long> registered = new LinkedHashMap<>();

        final LinkedHashMap<String, Long> late = new LinkedHashMap<>();

        @Nullable
        DrawFiles draw;

        RoomConfig config = RoomConfig.DEFAULTS;
        boolean configured;
        final EntryTable<Entry> users = new EntryTable<>(Entry.class);
        final QueueLine<Entry> line = new QueueLine<>(Entry.class);
        final SeenList seen = new SeenList();
        final PriorityQueue<Entry> expiries =
                new PriorityQueue<>((a, b) -> Long.compare(a.heapKeyMillis(), b.heapKeyMillis()));
        long ready;
        long budget;
        long lastTickMillis;
        long nextTickMillis;
        long ticks;
        long admittedTotal;
        long expiredTotal;
        long abandonedTotal;
        long finishedTotal;

        Room(Memory memory) {
            this.memory = memory;
        }

        void configure(RoomConfig newConfig, long nowMillis) {
            config = newConfig;
            configured = true;
            if (lastTickMillis != 0) {
                nextTickMillis = Math.max(nowMillis, lastTickMillis + newConfig.admissionFrequencyMillis());
            }
        }

        /** {@code user} queued, or where it stands already; null when the store is too full to take it. */
        @Nullable
        Enqueued enqueue(String user, long nowMillis) {
            Standing current = standing(user, nowMillis, true);
            if (current.state() != State.UNKNOWN) {
                return new Enqueued(false, current);
            }
            if (!memory.take(user)) {
                return null;
            }
            if (prequeue == Prequeue.OPEN || prequeue == Prequeue.CLOSED) {
                (prequeue == Prequeue.OPEN ? registered : late).put(user, nowMillis);
                return new Enqueued(true, Standing.REGISTERED);
            }
            return new Enqueued(true, Standing.queued(line.position(queue(user, nowMillis, nowMillis))));
        }

        private Entry queue(String user, long enqueuedAtMillis, long nowMillis) {
            Entry entry = new Entry(user);
            entry.setEnqueuedAtMillis(enqueuedAtMillis);
            entry.setLastSeenMillis(nowMillis);
            users.put(entry);
            line.add(entry);
            seen.addNewest(entry);
            return entry;
        }

        boolean placeDrawn(List<String> drawn, boolean last, long nowMillis) {
            if (prequeue == Prequeue.ENDED) {
                return true; // placed already, by another call
            }
            if (prequeue != Prequeue.CLOSED) {
                throw new IllegalStateException("no pre-queue is closed for a draw");
            }
            for (String user : drawn) {
                Long registeredAt = registered.remove(user);
                if (registeredAt != null) {
                    if (users.get(user) == null) {
                        queue(user, registeredAt, nowMillis); // counted in as it registered
                    } else {
                        memory.give(user);
                    }
                }
            }
            if (!last) {
                return false;
            }
            var arrivals = late.entrySet().iterator();
            for (int placed = 0; placed < MAX_ADMITTED_PER_ADVANCE && arrivals.hasNext(); placed++) {
                var arrival = arrivals.next();
                arrivals.remove();
                queue(arrival.getKey(), arrival.getValue(), nowMillis);
            }
            if (!late.isEmpty()) {
                return false;
            }
            registered.keySet().forEach(memory::give); // registered, and not drawn
            registered.clear();
            prequeue = Prequeue.ENDED;
            return true;
        }

        Standing standing(String user, long nowMillis, boolean seenNow) {
            Entry entry = users.get(user);
            if (entry == null) {
                boolean registeredNow = (prequeue == Prequeue.OPEN || prequeue == Prequeue.CLOSED)
                        && (registered.containsKey(user) || late.containsKey(user));
                return registeredNow ? Standing.REGISTERED : Standing.UNKNOWN;
            }
            if (entry.ready()) {
                if (entry.readyUntilMillis() <= nowMillis) {
                    forgetReady(entry);
                    expiredTotal++;
                    return Standing.UNKNOWN;
                }
                return Standing.ready(entry.readyUntilMillis());
            }
            if (seenNow) {
                entry.setLastSeenMillis(Math.max(entry.lastSeenMillis(), nowMillis));
                seen.remove(entry);
                seen.addNewest(entry);
            }
            return Standing.queued(line.position(entry));
        }

        Standing touch(String user, long nowMillis) {
            Standing standing = standing(user, nowMillis, false);
            Entry entry = users.get(user);
            if (standing.isReady() && entry != null) {
                entry.setReadyUntilMillis(Math.max(entry.readyUntilMillis(), nowMillis + config.readyTtlMillis()));
                return Standing.ready(entry.readyUntilMillis());
            }
            return standing;
        }

        Finish finish(String user, long nowMillis) {
            Entry entry = users.get(user);
            if (entry == null || !entry.ready()) {
                return Finish.NOT_READY;
            }
            boolean expired = entry.readyUntilMillis() <= nowMillis;
            forgetReady(entry);
            if (expired) {
                expiredTotal++;
                return Finish.NOT_READY;
            }
            finishedTotal++;
            return Finish.READY_CLEARED;
        }

        Advance advance(long nowMillis) {
            long expired = expire(nowMillis);
            long abandoned = abandon(nowMillis);
            boolean ticked = false;
            if (nowMillis >= nextTickMillis) {
                ticked = true;
                ticks++;
                budget = config.admissionLimit();
                lastTickMillis = nowMillis;
                long next = (nextTickMillis == 0 ? nowMillis : nextTickMillis) + config.admissionFrequencyMillis();
                nextTickMillis = next > nowMillis ? next : nowMillis + config.admissionFrequencyMillis();
            }
            List<Admitted> admitted = new ArrayList<>();
            long count = Math.min(budget, MAX_ADMITTED_PER_ADVANCE);
            if (config.maxActiveUsers() != 0) {
                count = Math.min(count, Math.max(0, config.maxActiveUsers() - ready));
            }
            budget -= admitHead(nowMillis, count, admitted);
            if (config.maxActiveUsers() == 0 && line.size() == 0) {
                budget = 0; // without a capacity bound, admission happens at ticks: who comes later waits for one
            }
            return new Advance(admitted, expired, abandoned, ticked, nextWake(nowMillis, admitted.size()));
        }

        /** Makes up to {@code count} users at the head ready until now plus the ready time; how many it did. */
        long admitHead(long nowMillis, long count, List<Admitted> admitted) {
            long done = 0;
            while (done < count && line.size() > 0) {
                Entry entry = line.pollFirst();
                seen.remove(entry);
                admitted.add(
                        new Admitted(entry.user, entry.enqueuedAtMillis())); // before its times mean the ready ones
                entry.slot(Entry.READY);
                entry.setReadyUntilMillis(nowMillis + config.readyTtlMillis());
                entry.setHeapKeyMillis(entry.readyUntilMillis());
                expiries.add(entry);
                ready++;
                admittedTotal++;
                done++;
            }
            return done;
        }

        private long nextWake(long nowMillis, int admittedNow) {
            boolean more = budget > 0 && line.size() > 0;
            boolean seatLimited = config.maxActiveUsers() != 0 && ready >= config.maxActiveUsers();
            if (more && admittedNow == MAX_ADMITTED_PER_ADVANCE && !seatLimited) {
                return nowMillis;
            }
            long wake = nextTickMillis;
            if (more && seatLimited) {
                Entry first = expiries.peek();
                if (first != null) {
                    wake = Math.min(wake, first.heapKeyMillis()); // a touched seat's: a wake early, then re-keyed
                }
            }
            Entry oldest = seen.oldest();
            if (config.abandonAfterSeconds() > 0 && oldest != null) {
                wake = Math.min(wake, oldest.lastSeenMillis() + config.abandonAfterMillis());
            }
            return Math.max(wake, nowMillis);
        }

        private long expire(long nowMillis) {
            long expired = 0;
            Entry first;
            while ((first = expiries.peek()) != null && first.heapKeyMillis() <= nowMillis) {
                expiries.poll();
                // a ready entry is its user's (one no longer ready is FORGOTTEN): its node is skipped otherwise
                if (first.ready() && first.readyUntilMillis() > nowMillis) {
                    first.setHeapKeyMillis(first.readyUntilMillis()); // touched since it went in: in again, once
                    expiries.add(first);
                } else if (first.ready()) {
                    forget(first);
                    ready--;
                    expired++;
                }
            }
            expiredTotal += expired;
            return expired;
        }

        private long abandon(long nowMillis) {
            if (config.abandonAfterSeconds() == 0) {
                return 0;
            }
            long abandoned = 0;
            Entry oldest;
            while ((oldest = seen.oldest()) != null
                    && oldest.lastSeenMillis() + config.abandonAfterMillis() <= nowMillis) {
                seen.remove(oldest);
                line.remove(oldest);
                forget(oldest);
                abandoned++;
            }
            abandonedTotal += abandoned;
            return abandoned;
        }

        private void forgetReady(Entry entry) {
            forget(entry);
            entry.slot(Entry.FORGOTTEN); // its expiry heap node is skipped when it comes up
            ready--;
        }

        /** {@code entry} is the room's no more: counted out. */
        private void forget(Entry entry) {
            users.remove(entry.user);
            memory.give(entry.user);
        }

        RoomStats stats() {
            return new RoomStats(
                    line.size(),
                    ready,
                    registered.size() + late.size(),
                    admittedTotal,
                    expiredTotal,
                    abandonedTotal,
                    finishedTotal,
                    ticks,
                    lastTickMillis,
                    nextTickMillis);
        }
    }

    /** Queued users from the least recently seen, linked through the entries themselves. */
    private static final class SeenList {
        private @Nullable Entry oldest;
        private @Nullable Entry newest;

        @Nullable
        Entry oldest() {
            return oldest;
        }

        void addNewest(Entry entry) {
            entry.older = newest;
            entry.newer = null;
            if (newest != null) {
                newest.newer = entry;
            } else {
                oldest = entry;
            }
            newest = entry;
        }

        void remove(Entry entry) {
            if (entry.older != null) {
                entry.older.newer = entry.newer;
            } else {
                oldest = entry.newer;
            }
            if (entry.newer != null) {
                entry.newer.older = entry.older;
            } else {
                newest = entry.older;
            }
            entry.older = null;
            entry.newer = null;
        }
    }
}
