package dev.gatehouse.proof.nonce;

import static dev.gatehouse.testing.Stages.failure;
import static dev.gatehouse.testing.Stages.now;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.nonce.HeldNonceStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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

    /** A scheduler that keeps the probes for the test to run, on threads of its choosing. */
    private static Scheduler capturing(List<Runnable> probes) {
        return (task, delayNanos) -> {
            probes.add(task);
            return () -> {};
        };
    }

    @Test
    void localDuringOutage_idUsedDuringTheOutage_cannotBeReplayedAfterIt_onAnyNode() {
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, 100);
        StoreHealth otherHealth = StoreHealth.create("shared", shared::probe, clock, PROBE_INTERVAL);
        DegradingNonceStore otherNode = DegradingNonceStore.localDuringOutage(shared, otherHealth, clock, clock, 100);
        shared.down = true;

        assertThat(now(node.putIfAbsent("token-1", inOneMinute()))).isTrue();
        assertThat(now(node.putIfAbsent("token-1", inOneMinute()))).isFalse();
        assertThat(node.pendingWriteBack()).isEqualTo(1);
        assertThat(health.healthy()).isFalse();

        shared.down = false;
        clock.advance(PROBE_INTERVAL);

        assertThat(health.healthy()).isTrue();
        assertThat(node.pendingWriteBack()).isZero();
        assertThat(now(shared.contains("token-1"))).isTrue();
        assertThat(now(otherNode.putIfAbsent("token-1", inOneMinute()))).isFalse();
        assertThat(now(node.putIfAbsent("token-1", inOneMinute()))).isFalse();
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
        assertThat(now(shared.contains("a"))).isTrue();
        assertThat(now(shared.contains("b"))).isTrue();
    }

    @Test
    void localDuringOutage_tooManyIdsAwaitingWriteBack_failsClosed() {
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(shared, health, clock, clock, 2);
        shared.down = true;
        node.putIfAbsent("a", inOneMinute());
        node.putIfAbsent("b", inOneMinute());

        assertThat(failure(node.putIfAbsent("c", inOneMinute())))
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
            assertThat(failure(node.putIfAbsent("c" + i, inOneMinute())))
                    .isInstanceOf(NonceStoreUnavailableException.class);
        }
        assertThat(node.pendingWriteBack()).isZero();

        clock.advance(Duration.ofMinutes(3)); // a and b are forgotten locally; Redis keeps them
        assertThat(now(node.putIfAbsent("d", clock.epochMillis() + 60_000))).isTrue();
    }

    @Test
    void writeBacks_thatWouldOverlap_runOneAtATime_andLoseNoId() throws InterruptedException {
        List<Runnable> probes = new CopyOnWriteArrayList<>();
        StoreHealth probedByHand = StoreHealth.create("shared", shared::probe, capturing(probes), PROBE_INTERVAL);
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
        CompletableFuture<Void> answerP = new CompletableFuture<>();
        shared.holds.put("p", answerP); // the store answers the write-back of p only when the test says
        shared.beforeWrite = id -> {
            if (id.equals("p")) {
                writingP.countDown();
            }
        };

        // the first chain writes back "a", turns healthy, and in its second write-back waits on "p"
        Thread firstChain = Thread.ofPlatform().start(probes.get(0));
        awaitOrFail(writingP);
        probes.get(1).run(); // the second chain's probe answers while the first still writes

        assertThat(probedByHand.healthy())
                .as("healthy while p was not written yet")
                .isFalse();
        answerP.complete(null);
        firstChain.join();
        probes.get(probes.size() - 1).run(); // the second chain probes again
        assertThat(probedByHand.healthy()).isTrue();
        assertThat(node.pendingWriteBack()).isZero();
        assertThat(now(shared.contains("p"))).isTrue();
        assertThat(now(shared.contains("q"))).isTrue();
    }

    @Test
    void writeBack_writesOneIdAtATime_goesOnWhenTheStoreAnswers_andRequeuesAFailedWrite() throws InterruptedException {
        HeldNonceStore held = new HeldNonceStore();
        List<Runnable> probes = new CopyOnWriteArrayList<>();
        StoreHealth probedByHand = StoreHealth.create("held", () -> {}, capturing(probes), PROBE_INTERVAL);
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(held, probedByHand, clock, clock, 100);
        CompletionStage<Boolean> first = node.putIfAbsent("a", inOneMinute());
        held.next().fail(new NonceStoreUnavailableException("timed out")); // degrades: "a" is recorded here
        assertThat(now(first)).isTrue();
        node.putIfAbsent("b", inOneMinute());
        node.putIfAbsent("c", inOneMinute());
        assertThat(held.untaken())
                .as("while degraded, the shared store is not asked")
                .isZero();

        Thread recovery = Thread.ofPlatform().start(probes.get(0)); // waits for the write-back chain
        HeldNonceStore.Call writeA = held.next();
        assertThat(writeA.id()).isEqualTo("a");
        assertThat(held.untaken()).as("one write at a time").isZero();
        writeA.answer(true); // the chain goes on, on this thread
        HeldNonceStore.Call writeB = held.next();
        assertThat(writeB.id()).isEqualTo("b");
        assertThat(held.untaken()).isZero();
        writeB.fail(new NonceStoreUnavailableException("timed out again")); // the chain ends here
        recovery.join();

        assertThat(probedByHand.healthy()).isFalse();
        assertThat(node.pendingWriteBack()).isEqualTo(2);
        assertThat(probes).as("the next probe is scheduled").hasSize(2);

        Thread retry = Thread.ofPlatform().start(probes.get(1));
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HeldNonceStore.Call write = held.next();
            written.add(write.id());
            write.answer(false); // already there: written all the same
        }
        retry.join();
        assertThat(written).containsExactlyInAnyOrder("b", "c");
        assertThat(probedByHand.healthy()).isTrue();
        assertThat(node.pendingWriteBack()).isZero();
        assertThat(held.untaken()).isZero();
    }

    @Test
    void sharedStoreThatFailsLater_isAnsweredLocally_andDegrades() {
        HeldNonceStore held = new HeldNonceStore();
        StoreHealth heldHealth = StoreHealth.create("held", () -> {}, capturing(new ArrayList<>()), PROBE_INTERVAL);
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(held, heldHealth, clock, clock, 100);

        CompletionStage<Boolean> put = node.putIfAbsent("a", inOneMinute());
        CompletionStage<Boolean> lookup = node.contains("b");
        assertThat(put.toCompletableFuture()).as("waits for the shared store").isNotDone();
        held.next().fail(new NonceStoreUnavailableException("timed out"));
        held.next().fail(new NonceStoreUnavailableException("timed out"));

        assertThat(now(put)).isTrue();
        assertThat(now(lookup)).isFalse();
        assertThat(heldHealth.healthy()).isFalse();
        assertThat(node.pendingWriteBack()).isEqualTo(1);
        assertThat(now(node.contains("a"))).isTrue();
    }

    @Test
    void sharedStoreFailingOtherwise_passesTheFailureOn_withoutDegrading() {
        HeldNonceStore held = new HeldNonceStore();
        StoreHealth heldHealth = StoreHealth.create("held", () -> {}, capturing(new ArrayList<>()), PROBE_INTERVAL);
        DegradingNonceStore node = DegradingNonceStore.localDuringOutage(held, heldHealth, clock, clock, 100);

        CompletionStage<Boolean> put = node.putIfAbsent("a", inOneMinute());
        held.next().fail(new IllegalStateException("a bug"));

        assertThat(failure(put)).isInstanceOf(IllegalStateException.class).hasMessage("a bug");
        assertThat(heldHealth.healthy()).isTrue();
        assertThat(node.pendingWriteBack()).isZero();
    }

    @Test
    void failClosed_storeDown_isUnavailable_neverAFirstUse() {
        DegradingNonceStore node = DegradingNonceStore.failClosed(shared, health);
        shared.down = true;

        assertThat(failure(node.putIfAbsent("a", inOneMinute()))).isInstanceOf(NonceStoreUnavailableException.class);
        assertThat(failure(node.putIfAbsent("a", inOneMinute())))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessageContaining("degraded");
        assertThat(failure(node.contains("a"))).isInstanceOf(NonceStoreUnavailableException.class);

        shared.down = false;
        clock.advance(PROBE_INTERVAL);
        assertThat(now(node.putIfAbsent("a", inOneMinute()))).isTrue();
    }
}
