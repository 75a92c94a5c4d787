package dev.gatehouse.waitingroom;

import dev.gatehouse.testing.room.TenantStoreContract;

class MemoryTenantStoreTest extends TenantStoreContract {

    @Override
    protected TenantStore newStore() {
        return new MemoryTenantStore(1_000);
    }
}
