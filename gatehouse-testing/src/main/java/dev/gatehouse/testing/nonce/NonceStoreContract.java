package dev.gatehouse.testing.nonce;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.nonce.BlockingNonceStore;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.Stages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link NonceStore}, for every implementation: extend it and return a fresh, empty
 * store from {@link #newStore}. Answers are read with {@link Stages#await}, so a store may complete
 * its stages on its own threads. Stores that keep time by their own clock (Redis) override {@link
 * #followsTheGivenClock} to skip the tests that move time.
 */
public abstract class NonceStoreContract {

    /** The clock the store must read; starts at an arbitrary wall-clock time. */
    protected final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);

    private NonceStore store;

    /** For subclasses. */
    protected NonceStoreContract() {}

    /** A new empty store reading {@code clock}, with room for at least 10,000 live ids. */
    protected abstract NonceStore newStore(ManualClock clock);

    /** Whether the store expires ids by {@code clock}; a store with its own clock returns false. */
    protected boolean followsTheGivenClock() {
        return true;
    }

    private void assumeFollowsTheGivenClock() {
        Assumptions.assumeTrue(
                followsTheGivenClock(),
                "this store expires ids by its own clock (the server's), which the test's fake clock cannot"
                        + " move: the cases that move time do not apply to it");
    }

    @BeforeEach
    void createStore() {
        store = newStore(clock);
    }

    private long inMillis(long millis) {
        return clock.epochMillis() + millis;
    }

    private boolean put(String id, long expiresAtMillis) {
        return await(store.putIfAbsent(id, expiresAtMillis));
    }

    private boolean contains(String id) {
        return await(store.contains(id));
    }

    @Test
    void putIfAbsent_newId_isTrueThenFalse() {
        assertThat(put("a", inMillis(60_000))).isTrue();
        assertThat(put("a", inMillis(60_000))).isFalse();
        assertThat(put("a", inMillis(120_000))).isFalse();
    }

    @Test
    void putIfAbsent_differentIds_areIndependent() {
        assertThat(put("a", inMillis(60_000))).isTrue();
        assertThat(put("b", inMillis(60_000))).isTrue();
        assertThat(put("A", inMillis(60_000))).isTrue();
        assertThat(put("b", inMillis(60_000))).isFalse();
    }

    @Test
    void contains_followsPuts() {
        assertThat(contains("a")).isFalse();
        put("a", inMillis(60_000));
        assertThat(contains("a")).isTrue();
        assertThat(contains("b")).isFalse();
    }

    @Test
    @SuppressWarnings("NullAway") // passes null on purpose: the guard against it is what is tested
    void nullId_isAProgrammerError_thrownByTheCall() {
        assertThatThrownBy(() -> store.putIfAbsent(null, inMillis(60_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id: null (expected: an id)");
        assertThatThrownBy(() -> store.contains(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void blockingView_answersAsTheStore() {
        BlockingNonceStore blocking = store.blocking(Stages.PATIENCE);

        assertThat(blocking.contains("a")).isFalse();
        assertThat(blocking.putIfAbsent("a", inMillis(60_000))).isTrue();
        assertThat(blocking.putIfAbsent("a", inMillis(60_000))).isFalse();
        assertThat(blocking.contains("a")).isTrue();
        assertThat(put("a", inMillis(60_000))).isFalse();
    }

    @Test
    void entry_isKeptForTheRetentionPastItsExpiry_thenForgotten() {
        assumeFollowsTheGivenClock();
        long expiresAtMillis = inMillis(60_000);
        put("a", expiresAtMillis);

        clock.advance(Duration.ofMillis(59_999));
        assertThat(put("a", expiresAtMillis)).isFalse();
        clock.advance(Duration.ofMillis(1 + NonceStore.RETENTION_AFTER_EXPIRY_MILLIS - 1));
        assertThat(contains("a")).isTrue(); // a verifier whose clock lags must still see it
        assertThat(put("a", inMillis(60_000))).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(contains("a")).isFalse();
        assertThat(put("a", inMillis(60_000))).isTrue();
        assertThat(put("a", inMillis(60_000))).isFalse();
    }

    @Test
    void putIfAbsent_expiryNotInTheFuture_isRefusedAndKeepsNothing() {
        assumeFollowsTheGivenClock();
        assertThat(put("a", inMillis(0))).isFalse();
        assertThat(put("a", inMillis(-1))).isFalse();
        assertThat(contains("a")).isFalse();
        assertThat(put("a", inMillis(1))).isTrue();
    }

    @Test
    void manyExpiredIds_makeRoomForNewOnes() {
        assumeFollowsTheGivenClock();
        for (int i = 0; i < 10_000; i++) {
            assertThat(put("old-" + i, inMillis(1_000))).isTrue();
        }
        clock.advance(Duration.ofSeconds(1).plusMillis(NonceStore.RETENTION_AFTER_EXPIRY_MILLIS));
        for (int i = 0; i < 10_000; i++) {
            assertThat(put("new-" + i, inMillis(1_000))).isTrue();
        }
        assertThat(put("new-0", inMillis(1_000))).isFalse();
    }

    @Test
    void sameIdFromManyThreads_isRecordedExactlyOnce() throws InterruptedException {
        for (int round = 0; round < 20; round++) {
            String id = "race-" + round;
            long expiresAtMillis = inMillis(60_000);
            // every thread asks at once and none waits for its answer before the others have asked,
            // so the calls overlap in the store (pipelined, for a store behind a connection)
            ConcurrentLinkedQueue<CompletionStage<Boolean>> answers = new ConcurrentLinkedQueue<>();
            Race.run(64, () -> answers.add(store.putIfAbsent(id, expiresAtMillis)));

            List<Boolean> firsts = new ArrayList<>();
            for (CompletionStage<Boolean> answer : answers) {
                firsts.add(await(answer));
            }
            assertThat(firsts).hasSize(64);
            assertThat(firsts).as("round %d: exactly one first use", round).containsOnlyOnce(true);
            assertThat(contains(id)).isTrue();
        }
    }

    @Test
    void sameIdFromManyThreads_waitingForTheirAnswers_isRecordedExactlyOnce() throws InterruptedException {
        BlockingNonceStore blocking = store.blocking(Stages.PATIENCE);
        for (int round = 0; round < 20; round++) {
            String id = "blocking-race-" + round;
            long expiresAtMillis = inMillis(60_000);
            assertThat(Race.countTrue(64, () -> blocking.putIfAbsent(id, expiresAtMillis)))
                    .as("round %d", round)
                    .isEqualTo(1);
        }
    }
}
