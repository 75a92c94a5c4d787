package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The answers that hold a connection of one upstream pool while their clients take nothing of them,
 * and the give-up that frees those connections for the requests waiting for one. An answer holds its
 * upstream connection while it is relayed, so clients that read nothing would otherwise keep every
 * other request from the upstream for the listener's write bound. Every {@link #LOOK_NANOS}, while
 * requests have waited {@link #STALL_NANOS} for a connection of the pool, as many answers are given
 * up as requests have waited that long, among those whose clients took nothing for {@link
 * #STALL_NANOS} and that were taken slower than {@link #KEEPS_BYTES_PER_SECOND} over their life (less
 * what the kernel holds), or not at all for {@link #KEPT_IDLE_NANOS}: the slowest readers first, the
 * longest idle first between equals. Idle alone does not tell an honest client from one that
 * stopped: a download through a rate limit takes a receive buffer of megabytes at once and then
 * nothing for seconds, longer than a client that stopped a moment ago; what it took in all does. The
 * others idle a second go too, slowest first, for the requests that would otherwise be refused: those
 * that have waited to within {@link #STALL_NANOS} of the dial bound.
 */
final class StalledAnswers implements AutoCloseable {

    /** How long a request waits, and an answer's client takes nothing, before answers are given up. */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * How long a client that reads at {@link #KEEPS_BYTES_PER_SECOND} or faster may take nothing and
     * keep its answer all the same: a download through a rate limit pauses for seconds after taking a
     * buffer's worth (8 s, curl's {@code --limit-rate 500K} here), and a client that only made its
     * receive buffer large and reads nothing must not be kept for long.
     */
    static final long KEPT_IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * A client that took this many bytes a second or more over its answer's life, beyond what the
     * kernel holds for it, keeps it (unless it takes nothing for {@link #KEPT_IDLE_NANOS}): a link of
     * 128 kbit/s. Low, as what the kernel holds is known by its send buffer's size, not what is in it:
     * a client reading in bursts while the kernel holds megabytes for it is counted short until the
     * kernel takes more.
     */
    static final long KEEPS_BYTES_PER_SECOND = 16 * 1024;

    /** How often the waits are looked at. */
    static final long LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** One answer its client leaves waiting, from its {@link #stalls} to its {@link #takes}. */
    interface Answer {

        /** How long its client has taken nothing of it, as of now; asked from any thread. */
        long idleNanos();

        /** How many bytes of it its client has taken (as of its stall); asked from any thread. */
        long takenBytes();

        /** When it began ({@link System#nanoTime()}'s time, or the clock's it was given). */
        long beganNanos();

        /**
         * Gives it up, on its own event loop, unless its client took some of it since or it is over
         * (and then takes it out of the stalled ones).
         */
        void giveUp();
    }

    private final ConnectionWaits waits;
    private final long urgentNanos;
    private final NanoClock clock;
    private final Scheduler timers;
    private final Set<Answer> stalled = ConcurrentHashMap.newKeySet();
    private volatile Scheduler.Task next;
    private volatile boolean closed;

    /**
     * The stalled answers of the pool whose requests {@code waits} tracks, each of which is refused
     * once it has waited {@code dialNanos}; looked at on {@code timers}, their paces read on {@code
     * clock}.
     */
    StalledAnswers(ConnectionWaits waits, long dialNanos, NanoClock clock, Scheduler timers) {
        this.waits = waits;
        this.urgentNanos = Math.max(STALL_NANOS, dialNanos - STALL_NANOS);
        this.clock = clock;
        this.timers = timers;
        this.next = timers.schedule(this::look, LOOK_NANOS);
    }

    /** The waits for a connection of this pool. */
    ConnectionWaits waits() {
        return waits;
    }

    /** {@code answer} waits for its client (again: harmless). */
    void stalls(Answer answer) {
        stalled.add(answer);
    }

    /** {@code answer}'s client took some of it, or it is over. */
    void takes(Answer answer) {
        stalled.remove(answer);
    }

    /** How many answers wait for their clients now. */
    int size() {
        return stalled.size();
    }

    private void look() {
        if (!closed) {
            giveUpForWaits();
            next = timers.schedule(this::look, LOOK_NANOS);
        }
    }

    /**
     * Gives up the idle answers read slowest, as many as requests have waited {@link #STALL_NANOS};
     * returns how many.
     */
    int giveUpForWaits() {
        int wanted = waits.waitingFor(STALL_NANOS);
        if (wanted == 0 || stalled.isEmpty()) {
            return 0;
        }
        long now = clock.nowNanos();
        List<Idle> slow = new ArrayList<>();
        List<Idle> kept = new ArrayList<>();
        for (Answer answer : stalled) {
            long nanos = answer.idleNanos();
            if (nanos < STALL_NANOS) {
                continue;
            }
            long lifeNanos = Math.max(1, now - answer.beganNanos());
            double pace = answer.takenBytes() * 1e9 / lifeNanos;
            Idle one = new Idle(answer, nanos, pace);
            if (pace < KEEPS_BYTES_PER_SECOND || nanos >= KEPT_IDLE_NANOS) {
                slow.add(one);
            } else {
                kept.add(one);
            }
        }
        int given = giveUp(slow, wanted);
        int urgent = waits.waitingFor(urgentNanos); // the oldest: the first served by what goes
        return urgent > given ? given + giveUp(kept, urgent - given) : given;
    }

    /** Gives up the first {@code count} of {@code idle} (all, if fewer), the slowest first; returns how many. */
    private static int giveUp(List<Idle> idle, int count) {
        idle.sort(Comparator.comparingDouble(Idle::bytesPerSecond)
                .thenComparing(Comparator.comparingLong(Idle::nanos).reversed()));
        int given = Math.min(count, idle.size());
        for (int i = 0; i < given; i++) {
            idle.get(i).answer().giveUp();
        }
        return given;
    }

    @Override
    public void close() {
        closed = true;
        next.cancel();
        stalled.clear();
    }

    private record Idle(Answer answer, long nanos, double bytesPerSecond) {}
}
