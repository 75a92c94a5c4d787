package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.proof.testing.NonceStoreContractTest;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;

/** The whole nonce store contract holds for the degrading store while its shared store is healthy. */
class DegradingNonceStoreContractTest extends NonceStoreContractTest {

    @Override
    protected NonceStore newStore(ManualClock clock) {
        StoreHealth health = StoreHealth.create("shared", () -> {}, clock, Duration.ofSeconds(1));
        return DegradingNonceStore.localDuringOutage(
                NonceStore.inMemory(clock, clock, 10_000), health, clock, clock, 10_000);
    }
}
