package dev.gatehouse.proof.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DegradingNonceStoreTest {

    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

    private final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
    private final FlakyNonceStore shared = new FlakyNonceStore(NonceStore.inMemory(clock, clock, 10_000));
    private final StoreHealth health = StoreHealth.create("shared", shared::probe, clock, PROBE_INTERVAL);

    private static void awaitOrFail(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the other thread never got there");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private long inOneMinute() {
        return clock.epochMillis() + 60_000;
    }

    @Test
    void localDuringOutage_idUsedDuringTheOutage_cannotBeReplayedAfterIt_onAnyNode() {
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, 100);
        StoreHealth otherHealth = StoreHealth.create("shared", shared::probe, clock, PROBE_INTERVAL);
        DegradingNonceStore otherNode = DegradingNonceStore.localDuringOutage(shared, otherHealth, clock, clock, 100);
        shared.down = true;

        assertThat(node.putIfAbsent("token-1", inOneMinute())).isTrue();
        assertThat(node.putIfAbsent("token-1", inOneMinute())).isFalse();
        assertThat(node.pendingWriteBack()).isEqualTo(1);
        assertThat(health.healthy()).isFalse();

        shared.down = false;
        clock.advance(PROBE_INTERVAL);

        assertThat(health.healthy()).isTrue();
        assertThat(node.pendingWriteBack()).isZero();
        assertThat(shared.contains("token-1")).isTrue();
        assertThat(otherNode.putIfAbsent("token-1", inOneMinute())).isFalse();
        assertThat(node.putIfAbsent("token-1", inOneMinute())).isFalse();
    }

    @Test
    void localDuringOutage_writeBackThatFails_isKeptAndRetried() {
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, 100);
        shared.down = true;
        node.putIfAbsent("a", inOneMinute());
        node.putIfAbsent("b", inOneMinute());

        shared.failPutsAfter.set(1); // answers the probe and one write, then fails again
        shared.down = false;
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isFalse();
        assertThat(node.pendingWriteBack()).isEqualTo(1);

        shared.failPutsAfter.set(Integer.MAX_VALUE);
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isTrue();
        assertThat(shared.contains("a")).isTrue();
        assertThat(shared.contains("b")).isTrue();
    }

    @Test
    void localDuringOutage_tooManyIdsAwaitingWriteBack_failsClosed() {
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, 2);
        shared.down = true;
        node.putIfAbsent("a", inOneMinute());
        node.putIfAbsent("b", inOneMinute());

        assertThatThrownBy(() -> node.putIfAbsent("c", inOneMinute()))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessageContaining("2 ids await write-back");
    }

    @Test
    void localStoreFullOfWrittenBackIds_failsClosed_withoutLosingTheBoundForLaterOutages() {
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, 2);
        shared.down = true;
        node.putIfAbsent("a", inOneMinute());
        node.putIfAbsent("b", inOneMinute());
        shared.down = false;
        clock.advance(PROBE_INTERVAL); // written back, but kept locally until their retention ends
        shared.down = true;

        for (int i = 0; i < 5; i++) { // the first call degrades the store again
            String id = "c" + i;
            assertThatThrownBy(() -> node.putIfAbsent(id, inOneMinute()))
                    .isInstanceOf(NonceStoreUnavailableException.class);
        }
        assertThat(node.pendingWriteBack()).isZero();

        clock.advance(Duration.ofMinutes(3)); // a and b are forgotten locally; Redis keeps them
        assertThat(node.putIfAbsent("d", clock.epochMillis() + 60_000)).isTrue();
    }

    @Test
    void writeBacks_thatWouldOverlap_runOneAtATime_andLoseNoId() throws InterruptedException {
        List<Runnable> probes = new CopyOnWriteArrayList<>();
        Scheduler capturing = (task, delayNanos) -> {
            probes.add(task);
            return () -> {};
        };
        StoreHealth probedByHand = StoreHealth.create("shared", shared::probe, capturing, PROBE_INTERVAL);
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, probedByHand, clock, clock, 100);
        shared.down = true;
        node.putIfAbsent("a", inOneMinute()); // recorded locally; the first probe chain is scheduled
        shared.down = false;
        probedByHand.addListener((from, to, cause) -> {
            if (to == StoreHealth.State.HEALTHY && probes.size() == 1) {
                shared.down = true; // just as recovery is announced, a request fails once more:
                node.putIfAbsent("p", inOneMinute()); // a second probe chain is scheduled
                node.putIfAbsent("q", inOneMinute());
                shared.down = false;
            }
        });
        CountDownLatch writingP = new CountDownLatch(1);
        CountDownLatch finishP = new CountDownLatch(1);
        shared.beforeWrite = id -> {
            if (id.equals("p") && writingP.getCount() == 1) {
                writingP.countDown();
                awaitOrFail(finishP);
            }
        };

        // the first chain writes back "a", turns healthy, and in its second write-back is slow on "p"
        Thread firstChain = Thread.ofPlatform().start(probes.get(0));
        awaitOrFail(writingP);
        probes.get(1).run(); // the second chain's probe answers while the first still writes

        assertThat(probedByHand.healthy())
                .as("healthy while p was not written yet")
                .isFalse();
        finishP.countDown();
        firstChain.join();
        probes.get(probes.size() - 1).run(); // the second chain probes again
        assertThat(probedByHand.healthy()).isTrue();
        assertThat(node.pendingWriteBack()).isZero();
        assertThat(shared.contains("p")).isTrue();
        assertThat(shared.contains("q")).isTrue();
    }

    @Test
    void failClosed_storeDown_isUnavailable_neverAFirstUse() {
        DegradingNonceStore node = DegradingNonceStore.failClosed(shared, health);
        shared.down = true;

        assertThatThrownBy(() -> node.putIfAbsent("a", inOneMinute()))
                .isInstanceOf(NonceStoreUnavailableException.class);
        assertThatThrownBy(() -> node.putIfAbsent("a", inOneMinute()))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessageContaining("degraded");

        shared.down = false;
        clock.advance(PROBE_INTERVAL);
        assertThat(node.putIfAbsent("a", inOneMinute())).isTrue();
    }
}
