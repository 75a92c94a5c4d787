package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import org.jspecify.annotations.Nullable;

/**
 * The requests waiting for a connection of one pool to the upstream, and how many have waited how
 * long: answers whose clients take nothing hold that pool's connections, and requests that wait long
 * for one are the sign to give as many such answers up ({@link StalledAnswers}). Used from every
 * event loop.
 */
final class ConnectionWaits {

    /** One request's wait, from its {@link #begin} to its {@link #end}: a link in the list of those going on. */
    final class Wait {

        private final long sinceNanos;
        private @Nullable Wait before;
        private @Nullable Wait after;
        private boolean over;

        private Wait(long sinceNanos) {
            this.sinceNanos = sinceNanos;
        }

        /** The request got its connection, or gave up on one (again: harmless). */
        void end() {
            synchronized (ConnectionWaits.this) {
                if (over) {
                    return;
                }
                over = true;
                if (before == null) {
                    oldest = after;
                } else {
                    before.after = after;
                }
                if (after == null) {
                    newest = before;
                } else {
                    after.before = before;
                }
            }
        }
    }

    private final NanoClock clock;
    private @Nullable Wait oldest; // the waits going on, in the order they began
    private @Nullable Wait newest;

    ConnectionWaits(NanoClock clock) {
        this.clock = clock;
    }

    /** A request begins to wait for a connection now. */
    synchronized Wait begin() {
        Wait wait = new Wait(clock.nowNanos());
        wait.before = newest;
        if (newest == null) {
            oldest = wait;
        } else {
            newest.after = wait;
        }
        newest = wait;
        return wait;
    }

    /** How many requests still waiting began to wait at least {@code nanos} ago. */
    synchronized int waitingFor(long nanos) {
        long now = clock.nowNanos();
        int count = 0;
        for (Wait wait = oldest; wait != null && now - wait.sinceNanos >= nanos; wait = wait.after) {
            count++; // in the order they began: the rest began later
        }
        return count;
    }
}
