package dev.gatehouse.waitingroom;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The queues of every room and the users each has made ready: one port, kept in this process
 * ({@link MemoryQueueState}) or shared by every replica (the Redis adapter), both passing one
 * contract suite. A room is named by its tenant's id; times are Unix milliseconds from the caller.
 *
 * <p>Admission happens only in {@link #advance}: at each tick (every {@code admission_frequency}
 * seconds, counted from the previous tick, the first one when the room is first seen) the room's
 * budget is set to {@code admission_limit}, and queued users are made ready from the head while
 * budget is left and, with {@code max_active_users} set, a seat is free. Budget left at a tick is
 * not carried to the next. Whoever calls {@code advance} on time makes each tick happen once: every
 * replica may call it, and a tick is done by exactly one call. Ready users stay ready for {@code
 * ready_ttl_seconds} from their admission, then are unknown; a queued user not seen for {@code
 * abandon_after_seconds} (when set) loses the place.
 *
 * <p>A room may hold one pre-queue ({@link #startPrequeue}): users who enqueue then are registered,
 * without a place, until their order is drawn ({@code dev.gatehouse.waitingroom.draw}); the drawn
 * order is queued ({@link #placeDrawn}), and whoever registered while the draw ran follows in arrival
 * order. Registered users are never abandoned: they have no place to lose.
 *
 * <p>A store that cannot answer fails the stage with {@link RoomStoreUnavailableException}; any
 * other failure means the stored state or the code is wrong.
 */
public interface QueueState {

    /** The room's config: the one last stored, or {@link RoomConfig#DEFAULTS}. */
    CompletionStage<RoomConfig> config(String room);

    /**
     * Stores {@code config}; it applies from the next tick, which is rescheduled at once: the last
     * tick plus the new frequency (or {@code nowMillis} when that has passed).
     */
    CompletionStage<Void> configure(String room, RoomConfig config, long nowMillis);

    /**
     * Stores {@code config} as {@link #configure} does if the room's config is still {@code expected}
     * (what {@link #config} answered); whether it did. A change made from what was read loses no
     * other replica's change: the one that finds the config changed reads it again.
     */
    CompletionStage<Boolean> configureIfUnchanged(String room, RoomConfig expected, RoomConfig config, long nowMillis);

    /** Stores {@code config} when the room has none; whether it did. */
    CompletionStage<Boolean> configureIfAbsent(String room, RoomConfig config);

    /** Queues {@code user} at the tail unless it is queued or ready already (then its standing is the current one). */
    CompletionStage<Enqueued> enqueue(String room, String user, long nowMillis);

    /** The standing of {@code user}, which counts as seeing the user (abandonment is counted from it). */
    CompletionStage<Standing> status(String room, String user, long nowMillis);

    /** The standing of {@code user}, without counting as seeing it (for the business backend's checks). */
    CompletionStage<Standing> standing(String room, String user, long nowMillis);

    /**
     * Keeps a ready {@code user} ready: its time then ends {@code ready_ttl_seconds} from {@code
     * nowMillis} (never sooner than it did), so that a ready time is a session that idles out when
     * the user is not seen for that long. The user's standing after; a user not ready is left as it is.
     */
    CompletionStage<Standing> touch(String room, String user, long nowMillis);

    /** Ends the ready state of {@code user}; a queued user stays queued ({@link Finish#NOT_READY}). */
    CompletionStage<Finish> finish(String room, String user, long nowMillis);

    /**
     * Does what is due at {@code nowMillis}: forgets ready users whose time is up, drops abandoned
     * ones, runs the tick when due, and admits while budget and seats allow (at most {@link
     * #MAX_ADMITTED_PER_ADVANCE} per call; {@link Advance#nextWakeMillis} is then {@code nowMillis}).
     */
    CompletionStage<Advance> advance(String room, long nowMillis);

    /**
     * An operator's admission: makes up to {@code count} queued users ready now, from the head,
     * whatever the room's budget and seats, each for {@code ready_ttl_seconds}; returns them in queue
     * order. {@code count} is at most {@link #MAX_ADMITTED_PER_ADVANCE}.
     */
    CompletionStage<List<Admitted>> admit(String room, long count, long nowMillis);

    /**
     * Starts a pre-queue in {@code room} unless the room has had one: from now until the draw is
     * placed, {@link #enqueue} registers users ({@link State#REGISTERED}) instead of queueing them.
     * Whether it started one now.
     */
    CompletionStage<Boolean> startPrequeue(String room);

    /** Where the room's pre-queue is: none yet, open, closed for its draw, or ended (the draw placed). */
    CompletionStage<Prequeue> prequeue(String room);

    /**
     * Closes the room's pre-queue for its draw: the users registered so far, in no particular order;
     * whoever enqueues from now on registers behind the draw. Asked again before {@link #placeDrawn}
     * ends the pre-queue, it returns those not placed yet; empty when no pre-queue is running.
     */
    CompletionStage<Optional<List<String>>> closePrequeue(String room);

    /**
     * Queues {@code drawn} — users {@link #closePrequeue} returned, in drawn order, at most {@link
     * #MAX_ADMITTED_PER_ADVANCE} a call — at the tail, skipping any not registered or placed already
     * (so that placing the same order again, from another replica, changes nothing). With {@code
     * last}, then queues those who registered after the close, in arrival order, at most {@link
     * #MAX_ADMITTED_PER_ADVANCE} a call, and ends the pre-queue once none is left; whether it ended
     * (if not, call again with an empty {@code drawn}: no call holds a shared store for long, however
     * many came during the draw).
     */
    CompletionStage<Boolean> placeDrawn(String room, List<String> drawn, boolean last, long nowMillis);

    /**
     * Keeps the signed commit record and the ticket list as the room's draw unless it has one
     * already; the room's draw files then.
     */
    CompletionStage<DrawFiles> keepCommit(String room, String commit, String tickets);

    /**
     * Keeps the signed draw record beside the kept commit unless one is kept already; the room's draw
     * files then. Fails with IllegalStateException when no commit is kept.
     */
    CompletionStage<DrawFiles> keepRecord(String room, String record);

    /** The room's kept draw files, if any. */
    CompletionStage<Optional<DrawFiles>> draw(String room);

    /** The room's kept draw record alone, if any: a small read, where the ticket list may be large. */
    CompletionStage<Optional<String>> drawRecord(String room);

    /** Counts of the room, for metrics and estimates. */
    CompletionStage<RoomStats> stats(String room, long nowMillis);

    /** Most users one {@link #advance} admits; a larger budget is spent by calling it again. */
    int MAX_ADMITTED_PER_ADVANCE = 10_000;

    /** Where a room's pre-queue is; a room holds one pre-queue in its life. */
    enum Prequeue {
        NONE,
        OPEN,
        CLOSED,
        ENDED
    }

    /** Where a user stands. */
    enum State {
        REGISTERED,
        QUEUED,
        READY,
        UNKNOWN
    }

    /**
     * A user's standing: {@code position} from 1 (the head) when queued, else 0; {@code
     * readyUntilMillis} when ready, else 0.
     */
    record Standing(State state, long position, long readyUntilMillis) {

        public static final Standing UNKNOWN = new Standing(State.UNKNOWN, 0, 0);

        /** Registered in a pre-queue: no place until the draw. */
        public static final Standing REGISTERED = new Standing(State.REGISTERED, 0, 0);

        public static Standing queued(long position) {
            return new Standing(State.QUEUED, position, 0);
        }

        public static Standing ready(long readyUntilMillis) {
            return new Standing(State.READY, 0, readyUntilMillis);
        }

        public boolean isReady() {
            return state == State.READY;
        }
    }

    /** The result of an enqueue: whether the user was added now, and where it stands. */
    record Enqueued(boolean added, Standing standing) {}

    /** The result of a finish. */
    enum Finish {
        READY_CLEARED,
        NOT_READY
    }

    /**
     * What one {@link #advance} did: the users it made ready (in queue order, with when each was
     * queued), how many ready users
     * expired and queued ones were abandoned, whether it ran a tick, and when the room next needs an
     * advance (the next tick, or sooner: a ready user's expiry with a capacity bound, an abandonment).
     */
    record Advance(List<Admitted> admitted, long expired, long abandoned, boolean ticked, long nextWakeMillis) {
        public Advance {
            admitted = List.copyOf(admitted);
        }

        /** The ids of the users admitted, in queue order. */
        public List<String> admittedUsers() {
            return admitted.stream().map(Admitted::user).toList();
        }
    }

    /** A user made ready, and when it was queued (for the wait-time histogram). */
    record Admitted(String user, long enqueuedAtMillis) {}

    /**
     * A room's draw files, as {@code dev.gatehouse.waitingroom.draw} writes them.
     *
     * @param commit the signed commit record
     * @param tickets the ticket list
     * @param record the signed draw record, null until the draw (a commit naming a beacon waits for its round)
     */
    record DrawFiles(
            String commit, String tickets, @Nullable String record) {}

    /**
     * Counts of a room: users queued, ready and registered in a pre-queue now, totals since the room began (admitted, expired,
     * abandoned, finished, ticks), and the last and next tick times (0 before the first).
     */
    record RoomStats(
            long queued,
            long ready,
            long registered,
            long admittedTotal,
            long expiredTotal,
            long abandonedTotal,
            long finishedTotal,
            long ticks,
            long lastTickMillis,
            long nextTickMillis) {}
}
