package dev.gatehouse.proof.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link NonceStore}, for every implementation: extend it and return a fresh, empty
 * store from {@link #newStore}. Stores that keep time by their own clock (Redis) override {@link
 * #followsTheGivenClock} to skip the tests that move time.
 */
public abstract class NonceStoreContractTest {

    /** The clock the store must read; starts at an arbitrary wall-clock time. */
    protected final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);

    private NonceStore store;

    /** For subclasses. */
    protected NonceStoreContractTest() {}

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

    @Test
    void putIfAbsent_newId_isTrueThenFalse() {
        assertThat(store.putIfAbsent("a", inMillis(60_000))).isTrue();
        assertThat(store.putIfAbsent("a", inMillis(60_000))).isFalse();
        assertThat(store.putIfAbsent("a", inMillis(120_000))).isFalse();
    }

    @Test
    void putIfAbsent_differentIds_areIndependent() {
        assertThat(store.putIfAbsent("a", inMillis(60_000))).isTrue();
        assertThat(store.putIfAbsent("b", inMillis(60_000))).isTrue();
        assertThat(store.putIfAbsent("A", inMillis(60_000))).isTrue();
        assertThat(store.putIfAbsent("b", inMillis(60_000))).isFalse();
    }

    @Test
    void contains_followsPuts() {
        assertThat(store.contains("a")).isFalse();
        store.putIfAbsent("a", inMillis(60_000));
        assertThat(store.contains("a")).isTrue();
        assertThat(store.contains("b")).isFalse();
    }

    @Test
    void entry_isKeptForTheRetentionPastItsExpiry_thenForgotten() {
        assumeFollowsTheGivenClock();
        long expiresAtMillis = inMillis(60_000);
        store.putIfAbsent("a", expiresAtMillis);

        clock.advance(Duration.ofMillis(59_999));
        assertThat(store.putIfAbsent("a", expiresAtMillis)).isFalse();
        clock.advance(Duration.ofMillis(1 + NonceStore.RETENTION_AFTER_EXPIRY_MILLIS - 1));
        assertThat(store.contains("a")).isTrue(); // a verifier whose clock lags must still see it
        assertThat(store.putIfAbsent("a", inMillis(60_000))).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(store.contains("a")).isFalse();
        assertThat(store.putIfAbsent("a", inMillis(60_000))).isTrue();
        assertThat(store.putIfAbsent("a", inMillis(60_000))).isFalse();
    }

    @Test
    void putIfAbsent_expiryNotInTheFuture_isRefusedAndKeepsNothing() {
        assumeFollowsTheGivenClock();
        assertThat(store.putIfAbsent("a", inMillis(0))).isFalse();
        assertThat(store.putIfAbsent("a", inMillis(-1))).isFalse();
        assertThat(store.contains("a")).isFalse();
        assertThat(store.putIfAbsent("a", inMillis(1))).isTrue();
    }

    @Test
    void manyExpiredIds_makeRoomForNewOnes() {
        assumeFollowsTheGivenClock();
        for (int i = 0; i < 10_000; i++) {
            assertThat(store.putIfAbsent("old-" + i, inMillis(1_000))).isTrue();
        }
        clock.advance(Duration.ofSeconds(1).plusMillis(NonceStore.RETENTION_AFTER_EXPIRY_MILLIS));
        for (int i = 0; i < 10_000; i++) {
            assertThat(store.putIfAbsent("new-" + i, inMillis(1_000))).isTrue();
        }
        assertThat(store.putIfAbsent("new-0", inMillis(1_000))).isFalse();
    }

    @Test
    void sameIdFromManyThreads_isRecordedExactlyOnce() throws InterruptedException {
        for (int round = 0; round < 20; round++) {
            String id = "race-" + round;
            long expiresAtMillis = inMillis(60_000);
            assertThat(Race.countTrue(64, () -> store.putIfAbsent(id, expiresAtMillis)))
                    .isEqualTo(1);
        }
    }
}
