package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How many requests have waited how long for an upstream connection, whatever order waits end in. */
final class ConnectionWaitsTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final ManualClock clock = new ManualClock();
    private final ConnectionWaits waits = new ConnectionWaits(clock);

    @Test
    void nobodyWaitingHasWaitedForNothing() {
        assertThat(waits.waitingFor(0)).isZero();

        waits.begin().end();
        clock.advance(Duration.ofSeconds(5));

        assertThat(waits.waitingFor(SECOND)).isZero();
    }

    @Test
    void theWaitsStillGoingCountByHowLongTheyWaited() {
        ConnectionWaits.Wait first = waits.begin();
        clock.advance(Duration.ofMillis(600));
        ConnectionWaits.Wait second = waits.begin();
        clock.advance(Duration.ofMillis(600));
        ConnectionWaits.Wait third = waits.begin();

        assertThat(waits.waitingFor(SECOND)).as("the first, 1.2 s").isEqualTo(1);
        assertThat(waits.waitingFor(Duration.ofMillis(500).toNanos())).isEqualTo(2);
        assertThat(waits.waitingFor(0)).isEqualTo(3);

        second.end(); // out of order: the first still leads
        assertThat(waits.waitingFor(SECOND)).isEqualTo(1);
        assertThat(waits.waitingFor(0)).isEqualTo(2);

        first.end(); // the second is over too: the third leads, just begun
        assertThat(waits.waitingFor(SECOND)).isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(waits.waitingFor(SECOND)).isEqualTo(1);

        third.end();
        assertThat(waits.waitingFor(0)).isZero();
    }

    /**
     * Event loops begin and end waits at once: the one wait left open is always counted, and so is
     * each thread's own that is still open; nothing is left after.
     */
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
                        } else if (mine.size() > 16) {
                            mine.pollFirst().end(); // a few left open at a time
                        }
                        if (waits.waitingFor(SECOND) < 1 || waits.waitingFor(0) < 1 + mine.size()) {
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

        assertThat(missed.get()).as("counts that lost a wait still open").isZero();
        assertThat(waits.waitingFor(SECOND)).isEqualTo(1);
        oldest.end();
        assertThat(waits.waitingFor(0)).as("every wait ended").isZero();
    }
}
