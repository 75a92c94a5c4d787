package dev.gatehouse.proof.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.time.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DegradingNonceStoreTest {

    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

    private final ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
    private final FlakyNonceStore shared = new FlakyNonceStore(NonceStore.inMemory(clock, clock, 10_000));
    private final StoreHealth health = StoreHealth.create("shared", shared::probe, clock, PROBE_INTERVAL);

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

        shared.failPutsAfter = 1; // answers the probe and one write, then fails again
        shared.down = false;
        clock.advance(PROBE_INTERVAL);
        assertThat(health.healthy()).isFalse();
        assertThat(node.pendingWriteBack()).isEqualTo(1);

        shared.failPutsAfter = Integer.MAX_VALUE;
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

    /** A shared store stand-in that stops answering while {@link #down} is set. */
    private static final class FlakyNonceStore implements NonceStore {
        private final NonceStore delegate;
        volatile boolean down;
        volatile int failPutsAfter = Integer.MAX_VALUE;

        FlakyNonceStore(NonceStore delegate) {
            this.delegate = delegate;
        }

        void probe() {
            if (down) {
                throw new IllegalStateException("down");
            }
        }

        @Override
        public boolean putIfAbsent(String id, long expiresAtMillis) {
            if (down || failPutsAfter-- <= 0) {
                throw new NonceStoreUnavailableException("down");
            }
            return delegate.putIfAbsent(id, expiresAtMillis);
        }

        @Override
        public boolean contains(String id) {
            if (down) {
                throw new NonceStoreUnavailableException("down");
            }
            return delegate.contains(id);
        }
    }
}
