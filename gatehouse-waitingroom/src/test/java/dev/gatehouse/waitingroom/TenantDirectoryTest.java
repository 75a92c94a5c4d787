package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The tenants as a process knows them, refreshed from the store on virtual time. */
class TenantDirectoryTest {

    private final ManualClock clock = new ManualClock();
    private final AtomicBoolean down = new AtomicBoolean();
    private final MemoryTenantStore store = new MemoryTenantStore(10);
    private final TenantStore flaky = new MemoryTenantStoreView();
    private final List<List<Tenant>> heard = new ArrayList<>();

    /** The store, but failing to list while {@code down}. */
    private final class MemoryTenantStoreView extends ForwardingTenantStore {
        MemoryTenantStoreView() {
            super(store);
        }

        @Override
        public CompletionStage<List<Tenant>> tenants() {
            return down.get() ? CompletableFuture.failedFuture(new IllegalStateException("db down")) : super.tenants();
        }
    }

    @Test
    void keysAddedRotatedAndRevokedElsewhereTakeEffectWithinARefresh() {
        TenantStore.Issued shop =
                store.add("shop", "Shop").toCompletableFuture().join().orElseThrow();
        try (TenantDirectory directory = TenantDirectory.start(flaky, clock, 2_000, 1_000, heard::add)) {
            assertThat(directory.byKey(shop.apiKey())).map(Tenant::id).hasValue("shop");
            assertThat(directory.byKey(shop.apiKey())).map(Tenant::id).hasValue("shop"); // as seen before
            assertThat(directory.byKey("not-a-key")).isEmpty();
            TenantStore.Issued rotated =
                    store.rotateKey("shop").toCompletableFuture().join().orElseThrow();
            assertThat(directory.byKey(shop.apiKey())).isPresent(); // until the refresh
            clock.advance(Duration.ofMillis(2_000));
            assertThat(directory.byKey(shop.apiKey())).isEmpty();
            assertThat(directory.byKey(rotated.apiKey())).isPresent();
            store.revoke("shop");
            clock.advance(Duration.ofMillis(2_000));
            assertThat(directory.byKey(rotated.apiKey())).isEmpty();
            assertThat(heard).hasSize(3);
        }
    }

    @Test
    void aFailedRefreshKeepsTheLastListAndTheNextOneRecovers() {
        TenantStore.Issued shop =
                store.add("shop", "Shop").toCompletableFuture().join().orElseThrow();
        try (TenantDirectory directory = TenantDirectory.start(flaky, clock, 2_000, 1_000, heard::add)) {
            down.set(true);
            store.revoke("shop");
            clock.advance(Duration.ofMillis(4_000));
            assertThat(directory.byKey(shop.apiKey())).isPresent();
            down.set(false);
            clock.advance(Duration.ofMillis(2_000));
            assertThat(directory.byKey(shop.apiKey())).isEmpty();
        }
    }

    @Test
    void aStoreThatCannotListAtStartStopsTheStart() {
        down.set(true);
        assertThatThrownBy(() -> TenantDirectory.start(flaky, clock, 2_000, 1_000, heard::add))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot read the tenants: db down");
    }
}
