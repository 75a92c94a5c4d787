package dev.gatehouse.proof.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.time.ManualClock;
import dev.gatehouse.proof.testing.NonceStoreContractTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryNonceStoreTest extends NonceStoreContractTest {

    @Override
    protected NonceStore newStore(ManualClock clock) {
        return NonceStore.inMemory(clock, 10_000);
    }

    @Test
    void full_ofLiveIds_failsClosed_andRecoversOnceTheyAreForgotten() {
        NonceStore small = NonceStore.inMemory(clock, 3);
        long expiresAtMillis = clock.epochMillis() + 1_000;
        for (String id : new String[] {"a", "b", "c"}) {
            assertThat(small.putIfAbsent(id, expiresAtMillis)).isTrue();
        }

        assertThatThrownBy(() -> small.putIfAbsent("d", expiresAtMillis))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessage("nonce store full: 3 live entries (expected: fewer; raise maxEntries)");
        assertThat(small.putIfAbsent("a", expiresAtMillis)).isFalse();

        clock.advance(Duration.ofSeconds(1).plusMillis(NonceStore.RETENTION_AFTER_EXPIRY_MILLIS));
        assertThat(small.putIfAbsent("d", clock.epochMillis() + 1_000)).isTrue();
    }

    @Test
    void purge_isBoundedPerCall_andDrainsExpiredEntriesUnderLoad() {
        MemoryNonceStore store = new MemoryNonceStore(clock, 1_000);
        for (int i = 0; i < 800; i++) {
            store.putIfAbsent("old-" + i, clock.epochMillis() + 10);
        }
        clock.advance(Duration.ofMillis(10 + NonceStore.RETENTION_AFTER_EXPIRY_MILLIS));

        store.putIfAbsent("new-0", clock.epochMillis() + 10_000);
        assertThat(store.size()).isEqualTo(800 - MemoryNonceStore.PURGE_PER_CALL + 1);
        for (int i = 1; i < 200; i++) {
            store.putIfAbsent("new-" + i, clock.epochMillis() + 10_000);
        }
        assertThat(store.size()).isEqualTo(200);
    }

    @Test
    void inMemory_rejectsBadConfiguration() {
        assertThatThrownBy(() -> NonceStore.inMemory(clock, 0)).hasMessage("maxEntries: 0 (expected: >= 1)");
        assertThatThrownBy(() -> NonceStore.inMemory(null, 1)).hasMessage("clock: null (expected: a wall clock)");
    }
}
