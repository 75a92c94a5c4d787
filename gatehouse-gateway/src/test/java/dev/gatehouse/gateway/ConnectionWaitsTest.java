package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How long the request waiting longest for an upstream connection has waited, whatever order waits end in. */
final class ConnectionWaitsTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final ManualClock clock = new ManualClock();
    private final ConnectionWaits waits = new ConnectionWaits(clock);

    @Test
    void nobodyWaitingHasWaitedForNothing() {
        assertThat(waits.waitedFor(0)).isFalse();

        waits.begin().end();
        clock.advance(Duration.ofSeconds(5));

        assertThat(waits.waitedFor(SECOND)).isFalse();
    }

    @Test
    void theOldestWaitStillGoingCounts() {
        ConnectionWaits.Wait first = waits.begin();
        clock.advance(Duration.ofMillis(600));
        ConnectionWaits.Wait second = waits.begin();
        clock.advance(Duration.ofMillis(600));
        ConnectionWaits.Wait third = waits.begin();

        assertThat(waits.waitedFor(SECOND)).as("the first, 1.2 s").isTrue();

        second.end(); // out of order: the first still leads
        assertThat(waits.waitedFor(SECOND)).isTrue();

        first.end(); // the second is over too: the third leads, just begun
        assertThat(waits.waitedFor(SECOND)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(waits.waitedFor(SECOND)).isTrue();

        third.end();
        assertThat(waits.waitedFor(0)).isFalse();
    }

    /** Event loops begin and end waits at once: the one wait left open leads throughout, and nothing is left after. */
    @Test
    void waitsFromManyThreadsNeverHideTheOldest() throws Exception {
        ConnectionWaits.Wait oldest = waits.begin();
        clock.advance(Duration.ofSeconds(2));
        int threads = 4;
        java.util.concurrent.atomic.AtomicInteger missed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    java.util.ArrayDeque<ConnectionWaits.Wait> mine = new java.util.ArrayDeque<>();
                    for (int i = 0; i < 200_000; i++) {
                        mine.add(waits.begin());
                        if (i % 3 == 0) {
                            mine.pollFirst().end(); // in order
                        } else if (i % 3 == 1) {
                            mine.pollLast().end(); // out of order
                        }
                        if (!waits.waitedFor(SECOND)) {
                            missed.incrementAndGet();
                        }
                    }
                    mine.forEach(ConnectionWaits.Wait::end);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> each : done) {
                each.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(missed.get()).as("checks that lost the oldest wait").isZero();
        assertThat(waits.waitedFor(SECOND)).isTrue();
        oldest.end();
        assertThat(waits.waitedFor(0)).as("every wait ended").isFalse();
    }
}
