package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import java.util.ArrayDeque;

/**
 * The requests waiting for a connection of Vert.x's pool to the upstream, and how long the one that
 * began first has waited: answers whose clients take nothing hold that pool's connections, and a
 * request that waits long for one is the sign to give such answers up ({@link AnswerBudget}). Used
 * from every event loop.
 */
final class ConnectionWaits {

    /** One request's wait, from its {@link #begin} to its {@link #end}. */
    final class Wait {

        private final long sinceNanos;
        private boolean over;

        private Wait(long sinceNanos) {
            this.sinceNanos = sinceNanos;
        }

        /** The request got its connection, or gave up on one. */
        void end() {
            synchronized (ConnectionWaits.this) {
                over = true;
                Wait first;
                while ((first = waits.peekFirst()) != null && first.over) { // the oldest that still waits leads
                    waits.pollFirst();
                }
            }
        }
    }

    private final NanoClock clock;
    private final ArrayDeque<Wait> waits = new ArrayDeque<>(); // in the order they began

    ConnectionWaits(NanoClock clock) {
        this.clock = clock;
    }

    /** A request begins to wait for a connection now. */
    synchronized Wait begin() {
        Wait wait = new Wait(clock.nowNanos());
        waits.addLast(wait);
        return wait;
    }

    /** Whether a request still waiting began to wait at least {@code nanos} ago. */
    synchronized boolean waitedFor(long nanos) {
        Wait first = waits.peekFirst();
        return first != null && clock.nowNanos() - first.sinceNanos >= nanos;
    }
}
