package dev.gatehouse.proof.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.testing.NonceStoreContractTest;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryNonceStoreTest extends NonceStoreContractTest {

    @Override
    protected NonceStore newStore(ManualClock clock) {
        return NonceStore.inMemory(clock, clock, 10_000);
    }

    @Test
    void full_ofLiveIds_failsClosed_andRecoversOnceTheyAreForgotten() {
        NonceStore small = NonceStore.inMemory(clock, clock, 3);
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
        MemoryNonceStore store = new MemoryNonceStore(clock, clock, 1_000);
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
    void wallClockStepsForwardThenBack_liveIdsAreNotPurged_andStayRefused() {
        ManualClock wall = new ManualClock(1_700_000_000_000_000_000L);
        ManualClock monotonic = new ManualClock();
        NonceStore store = NonceStore.inMemory(wall, monotonic, 1_000);
        long expiresAtMillis = wall.epochMillis() + 600_000;
        store.putIfAbsent("token", expiresAtMillis);

        wall.setNanos(wall.nowNanos() + Duration.ofDays(1).toNanos()); // NTP or a resumed VM steps it forward
        monotonic.advance(Duration.ofSeconds(1));
        for (int i = 0; i < 2 * MemoryNonceStore.PURGE_PER_CALL; i++) { // other ids used meanwhile purge
            store.putIfAbsent("other-" + i, wall.epochMillis() + 60_000);
        }
        wall.setNanos(wall.nowNanos() - Duration.ofDays(1).toNanos()); // and corrected back

        assertThat(store.contains("token")).isTrue();
        assertThat(store.putIfAbsent("token", expiresAtMillis)).isFalse();
    }

    @Test
    void wallClockStepsBack_afterTheRetentionRanOutInRealTime_keepsTheIdsItMakesLiveAgain() {
        ManualClock wall = new ManualClock(1_700_000_000_000_000_000L);
        ManualClock monotonic = new ManualClock();
        MemoryNonceStore store = new MemoryNonceStore(wall, monotonic, 1_000);
        long expiresAtMillis = wall.epochMillis() + 1_000;
        store.putIfAbsent("token", expiresAtMillis);
        Duration retention = Duration.ofMillis(1_000 + NonceStore.RETENTION_AFTER_EXPIRY_MILLIS);
        monotonic.advance(retention); // the retention ran out in real time, while the wall clock...
        wall.setNanos(wall.nowNanos() - Duration.ofMinutes(5).toNanos()); // ...stepped back: valid by it

        store.putIfAbsent("other", wall.epochMillis() + 60_000); // purges what it may

        assertThat(store.putIfAbsent("token", expiresAtMillis)).isFalse();
        wall.setNanos(wall.nowNanos() + Duration.ofMinutes(5).toNanos() + retention.toNanos());
        monotonic.advance(retention.plusMinutes(5));
        store.putIfAbsent("other-2", wall.epochMillis() + 60_000);
        assertThat(store.contains("token")).isFalse(); // over by both clocks: forgotten
        assertThat(store.size()).isOne(); // only other-2: the purge forgot token and other
    }

    @Test
    void inMemory_rejectsBadConfiguration() {
        assertThatThrownBy(() -> NonceStore.inMemory(clock, clock, 0)).hasMessage("maxEntries: 0 (expected: >= 1)");
        assertThatThrownBy(() -> NonceStore.inMemory(null, clock, 1))
                .hasMessage("wallClock: null (expected: a wall clock)");
        assertThatThrownBy(() -> NonceStore.inMemory(clock, null, 1))
                .hasMessage("monotonicClock: null (expected: a monotonic clock, such as NanoClock.system())");
    }
}
