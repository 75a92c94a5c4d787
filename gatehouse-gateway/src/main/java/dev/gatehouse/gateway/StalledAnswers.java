package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The answers that hold a connection of one upstream pool while their clients are slower than the
 * upstream, and the give-up that frees those connections for the requests waiting for one. An
 * answer holds its upstream connection while it is relayed, so clients that read slowly or not at
 * all would otherwise keep every other request from the upstream for the listener's write bound.
 * Every {@link #LOOK_NANOS}, while requests have waited {@link #STALL_NANOS} for a connection of the
 * pool, as many answers are given up as requests have waited that long, among the slow ones: those
 * whose clients took nothing for {@link #STALL_NANOS} and that were taken slower than {@link
 * #KEEPS_BYTES_PER_SECOND} over their life (less what the kernel may hold), or not at all for {@link
 * #KEPT_IDLE_NANOS}; and, where the kernel says what a client's TCP acknowledged (Linux, an answer
 * alone on its connection), those held back by their clients that took less than that pace over the
 * last {@link #RECENT_NANOS} or more, idle or not: a client trickling a few bytes at a time is never
 * idle a second. The slowest go first, the longest idle first between equals. Idle alone does not
 * tell an honest client from one that stopped: a download through a rate limit takes a receive
 * buffer of megabytes at once and then nothing for seconds, longer than a client that stopped a
 * moment ago; what it took in all does. The others idle a second go too, slowest first, for the
 * requests that would otherwise be refused: those that have waited to within {@link #STALL_NANOS} of
 * the dial bound.
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
     * The least time a client's recent pace is judged over (from marks this far apart: over ten to
     * twenty seconds): as long as a download through a rate limit may pause ({@link
     * #KEPT_IDLE_NANOS}). What a client acknowledged over a shorter time says little: it may have
     * taken megabytes into its receive buffer, or be between two bursts.
     */
    static final long RECENT_NANOS = KEPT_IDLE_NANOS;

    /**
     * A client that took this many bytes a second or more over its answer's life, beyond what the
     * kernel may hold for it, and (where the kernel counts what it acknowledged) over the last {@link
     * #RECENT_NANOS} or more, keeps it (unless it takes nothing for {@link #KEPT_IDLE_NANOS}): a link
     * of 128 kbit/s. Low, as over the life what the kernel holds is known by its send buffer's size,
     * not what is in it: a client reading in bursts while the kernel holds megabytes for it is
     * counted short until the kernel takes more.
     */
    static final long KEEPS_BYTES_PER_SECOND = 16 * 1024;

    /** How often the waits are looked at. */
    static final long LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** One answer its client holds back, from its {@link #stalls} to its {@link #takes}. */
    interface Answer {

        /** How long its client has taken nothing of it, as of now; asked from any thread. */
        long idleNanos();

        /** How many bytes of it its client has taken at least (as of its stall); asked from any thread. */
        long takenBytes();

        /**
         * Whether it waits for its client now (it is held back: its client takes less than the
         * upstream sends); asked from any thread.
         */
        boolean held();

        /**
         * How many bytes its client's TCP has acknowledged, counted from any start (its connection's
         * count: only how it grows is judged), or -1 where the kernel cannot say (Java's NIO, an
         * HTTP/2 stream: its connection's count is its streams' together); asked from any thread.
         */
        long acknowledgedBytes();

        /** When it began ({@link System#nanoTime()}'s time, or the clock's it was given). */
        long beganNanos();

        /**
         * Gives it up, on its own event loop, unless it is over, no longer held, or its client took
         * some of it within the last {@code idleNanos} (and then takes it out of the stalled ones).
         */
        void giveUp(long idleNanos);
    }

    private final ConnectionWaits waits;
    private final long urgentNanos;
    private final NanoClock clock;
    private final Scheduler timers;
    private final ConcurrentHashMap<Answer, Marks> stalled = new ConcurrentHashMap<>();
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
        stalled.putIfAbsent(answer, new Marks());
    }

    /** {@code answer} is over (or given up). */
    void takes(Answer answer) {
        stalled.remove(answer);
    }

    /** How many answers wait for their clients now. */
    int size() {
        return stalled.size();
    }

    private void look() {
        if (!closed) {
            long now = clock.nowNanos();
            stalled.forEach((answer, marks) -> marks.mark(answer, now));
            giveUpForWaits();
            next = timers.schedule(this::look, LOOK_NANOS);
        }
    }

    /**
     * Gives up the slow answers, the slowest first, as many as requests have waited {@link
     * #STALL_NANOS}, and fast ones idle a second for those about to be refused; returns how many.
     */
    int giveUpForWaits() {
        int wanted = waits.waitingFor(STALL_NANOS);
        if (wanted == 0 || stalled.isEmpty()) {
            return 0;
        }
        long now = clock.nowNanos();
        List<Judged> slow = new ArrayList<>();
        List<Judged> idleAndFast = new ArrayList<>();
        stalled.forEach((answer, marks) -> {
            long idle = answer.idleNanos();
            double recent = answer.held() ? marks.paceSince(answer.acknowledgedBytes(), now) : Double.NaN;
            if (recent < KEEPS_BYTES_PER_SECOND) { // held back, and taken slowly for ten seconds and more
                slow.add(new Judged(answer, idle, recent, 0));
                return;
            }
            if (idle < STALL_NANOS) {
                return;
            }
            double pace = answer.takenBytes() * 1e9 / Math.max(1, now - answer.beganNanos());
            Judged one = new Judged(answer, idle, pace, STALL_NANOS);
            if (pace < KEEPS_BYTES_PER_SECOND || idle >= KEPT_IDLE_NANOS) {
                slow.add(one);
            } else {
                idleAndFast.add(one);
            }
        });
        int given = giveUp(slow, wanted);
        int urgent = waits.waitingFor(urgentNanos); // the oldest: the first served by what goes
        return urgent > given ? given + giveUp(idleAndFast, urgent - given) : given;
    }

    /** Gives up the first {@code count} of {@code judged} (all, if fewer), the slowest first; returns how many. */
    private static int giveUp(List<Judged> judged, int count) {
        judged.sort(Comparator.comparingDouble(Judged::bytesPerSecond)
                .thenComparing(Comparator.comparingLong(Judged::idleNanos).reversed()));
        int given = Math.min(count, judged.size());
        for (int i = 0; i < given; i++) {
            Judged one = judged.get(i);
            one.answer().giveUp(one.stillIdleNanos());
        }
        return given;
    }

    @Override
    public void close() {
        closed = true;
        next.cancel();
        stalled.clear();
    }

    /**
     * An answer found slow (or idle and fast), given up unless its client took some of it within
     * {@code stillIdleNanos} by then.
     */
    private record Judged(Answer answer, long idleNanos, double bytesPerSecond, long stillIdleNanos) {}

    /**
     * What an answer's client had acknowledged at two times, each {@link #RECENT_NANOS} or more
     * after the one before: the older is where its recent pace is judged from. Marked and read by
     * the looks, one at a time.
     */
    private static final class Marks {

        private long olderBytes;
        private long olderNanos;
        private boolean older;
        private long newerBytes;
        private long newerNanos;
        private boolean newer;

        /** Marks what {@code answer}'s client has acknowledged by {@code now}, once its newer mark is old enough. */
        void mark(Answer answer, long now) {
            if (newer && now - newerNanos < RECENT_NANOS) {
                return;
            }
            long bytes = answer.acknowledgedBytes();
            if (bytes < 0) {
                return; // the kernel cannot say: never judged so
            }
            olderBytes = newerBytes;
            olderNanos = newerNanos;
            older = newer;
            newerBytes = bytes;
            newerNanos = now;
            newer = true;
        }

        /**
         * The pace from the older mark to {@code bytes} acknowledged by {@code now}; NaN before there
         * is one, or when the kernel cannot say ({@code bytes} negative).
         */
        double paceSince(long bytes, long now) {
            return older && bytes >= 0 ? (bytes - olderBytes) * 1e9 / Math.max(1, now - olderNanos) : Double.NaN;
        }
    }
}
