package dev.gatehouse.jdbc;

import dev.gatehouse.testing.room.TenantStoreContract;
import dev.gatehouse.waitingroom.TenantStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The {@link TenantStore} contract on PostgreSQL: one store over a schema of this class's own, emptied before each test. */
class PostgresTenantStoreContractTest extends TenantStoreContract {

    private static @Nullable TestDatabase database;
    private static @Nullable PostgresTenantStore store;

    @BeforeAll
    static void openStore() {
        TestDatabase created = TestDatabase.create();
        store = created.open();
        database = created; // dropped after the class only once the store could be opened
    }

    @AfterAll
    static void dropSchema() {
        if (store != null) {
            store.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Override
    protected TenantStore newStore() {
        database.truncate();
        return store;
    }
}
