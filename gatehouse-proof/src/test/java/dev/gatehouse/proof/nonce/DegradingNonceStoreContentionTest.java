package dev.gatehouse.proof.nonce;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Ids consumed from many threads while the shared store goes away and comes back again and again,
 * often failing once more just as its recovery is announced (so that a second probe chain starts
 * while the first one still writes back), with probes run by two threads at once: every id accepted
 * during an outage reaches the shared store, and the count of pending ids never goes negative. The
 * shared store answers on a thread of its own, after a round trip's worth of spinning, so the
 * write-back chain goes on there while requests and probes run on theirs.
 */
class DegradingNonceStoreContentionTest {

    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    private static final int WRITERS = 3;
    private static final int IDS_PER_WRITER = 2_000;
    private static final int MAX_IDS_PER_WRITER = 100 * IDS_PER_WRITER;
    /**
     * Ids each store holds. Nothing expires on the test's clock, so every id of the run stays: room for
     * every writer's most, so that a slow run, which relapses seldom and goes on longest, never fills it.
     */
    private static final int CAPACITY = (WRITERS + 1) * MAX_IDS_PER_WRITER;

    private static final int MIN_RELAPSES = 30;
    private static final int IDS_PER_RELAPSE = 3;
    private static final int PROBERS = 2;
    private static final int ANSWER_SPINS = 50; // a shared store's round trip
    private static final int WORK_SPINS = 1_000; // a request's own work, between two ids it consumes

    private final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);

    private static void spin(int times) {
        for (int i = 0; i < times; i++) {
            Thread.onSpinWait();
        }
    }

    @RepeatedTest(10)
    void flappingStore_overlappingProbeChains_everyIdAcceptedLocallyIsWrittenBack(RepetitionInfo repetition)
            throws InterruptedException {
        FlakyNonceStore shared = new FlakyNonceStore(NonceStore.inMemory(clock, clock, CAPACITY));
        ExecutorService storeThread =
                Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().factory());
        shared.answers = answer -> storeThread.execute(() -> {
            spin(ANSWER_SPINS); // so that a write-back lasts a while
            answer.run();
        });
        ConcurrentLinkedQueue<Runnable> due = new ConcurrentLinkedQueue<>();
        Scheduler byTheProbers = (task, delayNanos) -> {
            due.add(task);
            return () -> {};
        };
        StoreHealth health = StoreHealth.create("shared", shared::probe, byTheProbers, PROBE_INTERVAL);
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, CAPACITY);
        long expiresAtMillis = clock.epochMillis() + 60_000;
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger lowestPending = new AtomicInteger();
        AtomicInteger mostPending = new AtomicInteger();
        AtomicInteger relapses = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();

        health.addListener((from, to, cause) -> {
            if (to == StoreHealth.State.HEALTHY && !done.get()) {
                // a request fails once more as recovery is announced: the store degrades again and a
                // second probe chain starts while this one runs its last write-back
                shared.down = true;
                int relapse = relapses.incrementAndGet();
                for (int i = 0; i < IDS_PER_RELAPSE; i++) {
                    String id = "relapse-" + relapse + "-" + i;
                    if (await(node.putIfAbsent(id, expiresAtMillis))) { // the store is down: answered at once
                        accepted.add(id);
                    }
                }
                shared.down = false;
            }
        });
        List<Thread> probers = new ArrayList<>();
        for (int i = 0; i < PROBERS; i++) {
            probers.add(Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    Runnable probe = due.poll();
                    if (probe == null) {
                        Thread.onSpinWait();
                    } else {
                        probe.run();
                    }
                }
            }));
        }
        AtomicInteger writer = new AtomicInteger();
        shared.down = true; // the first put degrades the store
        try {
            Race.run(WRITERS, () -> {
                int number = writer.getAndIncrement();
                SplittableRandom flaps = new SplittableRandom(repetition.getCurrentRepetition() * 31L + number);
                // at least IDS_PER_WRITER ids, and on until the store has relapsed a few times
                for (int i = 0; i < IDS_PER_WRITER || relapses.get() < MIN_RELAPSES && i < MAX_IDS_PER_WRITER; i++) {
                    if (flaps.nextInt(200) == 0) {
                        shared.down = !shared.down; // the store goes away, or comes back
                    }
                    spin(WORK_SPINS);
                    String id = "w" + number + "-" + i;
                    if (await(node.putIfAbsent(id, expiresAtMillis))) {
                        accepted.add(id);
                    }
                    int pending = node.pendingWriteBack();
                    lowestPending.accumulateAndGet(pending, Math::min);
                    mostPending.accumulateAndGet(pending, Math::max);
                }
            });
        } finally {
            done.set(true);
            for (Thread prober : probers) {
                prober.join();
            }
        }
        try {
            shared.down = false;
            for (Runnable probe; (probe = due.poll()) != null; ) { // what the probers left: the store answers now
                probe.run();
            }

            assertThat(health.healthy()).isTrue();
            assertThat(lowestPending.get()).isNotNegative();
            assertThat(node.pendingWriteBack()).isZero();
            assertThat(accepted.stream().filter(id -> !await(shared.contains(id))))
                    .as("ids accepted but never written to the shared store")
                    .isEmpty();
        } finally {
            storeThread.shutdownNow();
        }
        assertThat(relapses.get())
                .as("the store recovered and relapsed during the run")
                .isPositive();
        assertThat(mostPending.get()).as("ids were recorded locally").isPositive();
    }
}
