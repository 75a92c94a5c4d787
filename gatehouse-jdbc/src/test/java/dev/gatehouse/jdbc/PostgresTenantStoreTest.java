package dev.gatehouse.jdbc;

import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Race;
import dev.gatehouse.waitingroom.ApiKeys;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import dev.gatehouse.waitingroom.TenantStore.Issued;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PostgresTenantStore} on the real server, beyond the port's contract: migrations, what is
 * stored (hashes, never keys), and what a second store over the same database (another replica, or
 * the CLI beside a running server) sees. Every test that uses the server starts from a schema that
 * does not exist yet.
 */
class PostgresTenantStoreTest {

    private static final long T0 = 1_800_000_000_000L;

    private final List<PostgresTenantStore> opened = new ArrayList<>();
    private @Nullable TestDatabase database;

    @AfterEach
    void dropSchema() {
        opened.forEach(PostgresTenantStore::close);
        if (database != null) { // named once the server answered; dropped even if no store opened in it
            database.close();
        }
    }

    /** This test's schema, named on first use: the tests that need no server run without one. */
    private TestDatabase database() {
        if (database == null) {
            database = TestDatabase.create();
        }
        return database;
    }

    private PostgresTenantStore open() {
        return open(PostgresTenantStore.builder(database().url));
    }

    private PostgresTenantStore open(PostgresTenantStore.Builder builder) {
        PostgresTenantStore store = database().open(builder);
        opened.add(store);
        return store;
    }

    @Test
    void open_onAnEmptyDatabase_makesTheSchemaAndTables() {
        assertThat(database()
                        .column("SELECT schema_name FROM information_schema.schemata WHERE schema_name = '"
                                + database().schema + "'"))
                .isEmpty();

        PostgresTenantStore store = open();

        assertThat(store.schema()).isEqualTo(database().schema);
        assertThat(database()
                        .column("SELECT table_name FROM information_schema.tables WHERE table_schema = '"
                                + database().schema + "' ORDER BY table_name"))
                .containsExactly("audit_log", "flyway_schema_history", "room_configs", "tenants");
        assertThat(
                        database()
                                .column(
                                        "SELECT coalesce(version, '-') || ' ' || success FROM flyway_schema_history ORDER BY installed_rank"))
                .as("Flyway's note that it made the schema, then versions 1 to 4")
                .containsExactly("- true", "1 true", "2 true", "3 true", "4 true");
        assertThat(await(store.tenants())).isEmpty();
    }

    @Test
    void roomConfigs_haveAColumnForEveryFieldUnderItsWireName() {
        open();

        List<String> expected = new ArrayList<>(List.of("tenant_id", "updated_at"));
        Arrays.stream(Field.values()).map(Field::wireName).forEach(expected::add);
        assertThat(database()
                        .column("SELECT column_name FROM information_schema.columns WHERE table_schema = '"
                                + database().schema + "' AND table_name = 'room_configs'"))
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void open_again_appliesNothingAndKeepsWhatWasStored() {
        PostgresTenantStore first = open();
        Issued acme = await(first.add("acme", "Acme")).orElseThrow();
        first.close();

        PostgresTenantStore again = open();

        assertThat(await(again.tenants())).containsExactly(acme.tenant());
        assertThat(database().column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL"))
                .containsExactly("1", "2", "3", "4");
    }

    @Test
    void open_ofASchemaANewerReplicaMigratedFurther_usesItAsItIs() {
        Issued acme = await(open().add("acme", "Acme")).orElseThrow();
        database()
                .execute(
                        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
                                + " checksum, installed_by, execution_time, success)"
                                + " VALUES (100, '999', 'from a newer replica', 'SQL', 'V999__from_a_newer_replica.sql', 0, 'test', 0, true)");

        PostgresTenantStore older = open();

        assertThat(await(older.tenants())).containsExactly(acme.tenant());
    }

    @Test
    void replicasStartingTogether_migrateOnceAndRegisterEachTenantOnce() throws InterruptedException {
        TestDatabase shared = database(); // named here, not by three threads at once
        ConcurrentLinkedQueue<PostgresTenantStore> replicas = new ConcurrentLinkedQueue<>();
        Race.run(3, () -> replicas.add(shared.open(PostgresTenantStore.builder(shared.url))));
        opened.addAll(replicas);
        assertThat(database().column("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL"))
                .containsExactly("1", "2", "3", "4");

        List<Tenant> businessIds = Stream.of("key one", "key two", "key three")
                .map(Tenant::ofBusinessId)
                .toList();
        AtomicInteger registered = new AtomicInteger();
        List<PostgresTenantStore> stores = List.copyOf(replicas);
        AtomicInteger next = new AtomicInteger();
        Race.run(stores.size(), () -> {
            PostgresTenantStore replica = stores.get(next.getAndIncrement());
            for (Tenant tenant : businessIds) {
                if (await(replica.register(tenant))) {
                    registered.incrementAndGet();
                }
            }
        });

        assertThat(registered).hasValue(businessIds.size());
        for (PostgresTenantStore replica : stores) {
            assertThat(await(replica.tenants())).containsExactlyInAnyOrderElementsOf(businessIds);
        }
    }

    @Test
    void replicasRegisteringOneTenantTogether_haveOneWinnerEveryTime() throws InterruptedException {
        List<PostgresTenantStore> replicas = List.of(open(), open(), open());
        int rounds = 100;
        int threads = 6;
        List<Integer> winnersPerRound = new ArrayList<>();

        for (int round = 0; round < rounds; round++) {
            Tenant tenant = Tenant.ofBusinessId("key of round " + round);
            AtomicInteger winners = new AtomicInteger();
            AtomicInteger next = new AtomicInteger();
            // every one of these inserts clashes on the key hash's unique index as well as the id's
            Race.run(threads, () -> {
                if (await(replicas.get(next.getAndIncrement() % replicas.size()).register(tenant))) {
                    winners.incrementAndGet();
                }
            });
            winnersPerRound.add(winners.get());
        }

        assertThat(winnersPerRound).containsOnly(1);
        assertThat(await(replicas.getFirst().tenants())).hasSize(rounds);
    }

    @Test
    void keys_areStoredOnlyAsTheirHashes() {
        PostgresTenantStore store = open();
        Issued added = await(store.add("acme", "Acme")).orElseThrow();
        Issued rotated = await(store.rotateKey("acme")).orElseThrow();
        Issued other = await(store.add("other", "Other")).orElseThrow();
        await(store.revoke("other"));
        await(store.audit(List.of(
                new AuditEvent("acme", T0, AuditKind.KEY_ROTATED, null, 1),
                new AuditEvent("other", T0, AuditKind.REVOKED, null, 1),
                new AuditEvent("acme", T0, AuditKind.ADMITTED, "user-1", 1))));
        await(store.saveConfig("acme", RoomConfig.DEFAULTS));

        List<String> everything = everyRowAsText();

        assertThat(everything).isNotEmpty();
        for (String key : List.of(added.apiKey(), rotated.apiKey(), other.apiKey())) {
            assertThat(everything).noneSatisfy(row -> assertThat(row).contains(key));
            assertThat(everything).noneSatisfy(row -> assertThat(row).contains(key.substring("gh_".length())));
        }
        assertThat(database().column("SELECT key_hash FROM tenants ORDER BY id"))
                .containsExactly(ApiKeys.hash(rotated.apiKey()), ApiKeys.hash(other.apiKey()));
    }

    /** Every row of every table in the schema, as PostgreSQL writes a row as text. */
    private List<String> everyRowAsText() {
        List<String> rows = new ArrayList<>();
        for (String table : database()
                .column("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + database().schema
                        + "'")) {
            rows.addAll(database().column("SELECT t::text FROM " + table + " t"));
        }
        return rows;
    }

    @Test
    void aSecondStore_seesAddsRotationsRevocationsConfigsAndAudit() {
        PostgresTenantStore cli = open();
        PostgresTenantStore server = open();

        Issued acme = await(cli.add("acme", "Acme")).orElseThrow();
        assertThat(await(server.tenants())).containsExactly(acme.tenant());

        Issued rotated = await(cli.rotateKey("acme")).orElseThrow();
        assertThat(await(server.tenants())).containsExactly(rotated.tenant());
        assertThat(await(server.tenants()).getFirst().keyHash())
                .isNotEqualTo(acme.tenant().keyHash());

        RoomConfig config = RoomConfig.DEFAULTS.with(Map.of(Field.ADMISSION_LIMIT, 7L));
        await(server.saveConfig("acme", config));
        assertThat(await(cli.config("acme"))).contains(config);

        AuditEvent admitted = new AuditEvent("acme", T0, AuditKind.ADMITTED, "u1", 1);
        await(server.audit(List.of(admitted)));
        assertThat(await(cli.recentAudit("acme", 10))).containsExactly(admitted);

        assertThat(await(cli.revoke("acme"))).isTrue();
        assertThat(await(server.tenants())).isEmpty();
        assertThat(await(server.rotateKey("acme"))).isEmpty();
        assertThat(await(server.add("acme", "Again"))).isEmpty();
        assertThat(await(server.revoke("acme"))).isFalse();
    }

    @Test
    void entries_listLiveTenantsWithTheirCreationTimeAndNoKey() {
        PostgresTenantStore store = open();
        Instant before = Instant.ofEpochMilli(Long.parseLong(database()
                .column("SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint")
                .getFirst()));
        await(store.add("b-tenant", "B"));
        await(store.add("a-tenant", "A"));
        await(store.add("gone", "Gone"));
        await(store.revoke("gone"));

        List<PostgresTenantStore.Entry> entries = await(store.entries());

        assertThat(entries).extracting(PostgresTenantStore.Entry::id).containsExactly("a-tenant", "b-tenant");
        assertThat(entries).extracting(PostgresTenantStore.Entry::name).containsExactly("A", "B");
        assertThat(entries).allSatisfy(entry -> assertThat(entry.createdAt()).isAfterOrEqualTo(before));
    }

    @Test
    void register_ofAKeyHashAnotherTenantHolds_failsNamingIt() {
        PostgresTenantStore store = open();
        Tenant acme = Tenant.ofBusinessId("shared key");
        await(store.register(acme));

        Throwable refused = failure(store.register(new Tenant("impostor", "Impostor", acme.keyHash())));

        assertThat(refused)
                .isInstanceOf(DatabaseException.class)
                .hasMessageContaining("tenant impostor: its key hash belongs to another tenant");
        assertThat(await(store.tenants())).containsExactly(acme);
    }

    @Test
    void pruneAudit_deletesInBatchesEveryEntryBeforeTheCutOff() {
        PostgresTenantStore store = open();
        int old = PostgresTenantStore.PRUNE_BATCH * 2 + 5;
        database()
                .execute("INSERT INTO audit_log (tenant_id, at, kind, user_id, count) SELECT 'acme',"
                        + " timestamptz '2026-01-01 00:00:00+00' + n * interval '1 millisecond', 'ADMITTED', 'u' || n, 1"
                        + " FROM generate_series(1, " + old + ") AS n");
        long cutOff = Instant.parse("2026-01-15T00:00:00Z").toEpochMilli();
        await(store.audit(List.of(new AuditEvent("acme", cutOff, AuditKind.FINISHED, "kept", 1))));

        assertThat(await(store.pruneAudit(cutOff))).isEqualTo(old);

        assertThat(await(store.recentAudit("acme", 10)))
                .extracting(AuditEvent::user)
                .containsExactly("kept");
        assertThat(await(store.pruneAudit(cutOff))).isZero();
    }

    @Test
    void replicasPruningAtOnce_deleteEachEntryOnce() throws InterruptedException {
        PostgresTenantStore first = open();
        PostgresTenantStore second = open();
        int old = PostgresTenantStore.PRUNE_BATCH * 3 + 7;
        database()
                .execute("INSERT INTO audit_log (tenant_id, at, kind, user_id, count) SELECT 'acme',"
                        + " timestamptz '2026-01-01 00:00:00+00' + n * interval '1 millisecond', 'ADMITTED', 'u' || n, 1"
                        + " FROM generate_series(1, " + old + ") AS n");
        long cutOff = Instant.parse("2026-01-15T00:00:00Z").toEpochMilli();
        AtomicLong deleted = new AtomicLong();
        ConcurrentLinkedQueue<PostgresTenantStore> stores = new ConcurrentLinkedQueue<>(List.of(first, second));

        Race.run(2, () -> deleted.addAndGet(await(stores.remove().pruneAudit(cutOff))));

        assertThat(deleted).hasValue(old);
        assertThat(database().column("SELECT count(*) FROM audit_log")).containsExactly("0");
    }

    @Test
    void audit_aBatchTheDatabaseRefuses_writesNoneOfIt() {
        PostgresTenantStore store = open();
        List<AuditEvent> batch = List.of(
                new AuditEvent("acme", T0, AuditKind.ADMITTED, "u1", 1),
                new AuditEvent("acme", Long.MAX_VALUE, AuditKind.ADMITTED, "u2", 1)); // past timestamptz's range

        Throwable refused = failure(store.audit(batch));

        assertThat(refused).isInstanceOf(DatabaseException.class).hasMessageStartingWith("writing 2 audit event(s): ");
        assertThat(await(store.recentAudit("acme", 10))).isEmpty();
    }

    @Test
    void aDatabaseThatStopsAnswering_fillsTheQueueAndFurtherCallsFailAtOnce() throws SQLException {
        PostgresTenantStore store =
                open(PostgresTenantStore.builder(database().url).poolSize(1).queueCapacity(1));
        // not through the store: its one thread starts with the first call below, which it then runs itself
        database()
                .execute("INSERT INTO tenants (id, name, key_hash) VALUES ('acme', 'Acme', '" + ApiKeys.hash("k")
                        + "')");
        try (Connection locker = database().connect();
                Statement lock = locker.createStatement()) {
            locker.setAutoCommit(false);
            lock.execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE");

            CompletionStage<List<Tenant>> running = store.tenants(); // the thread's, waiting for the lock
            CompletionStage<List<Tenant>> queued = store.tenants(); // the queue's one place
            Throwable refused = failure(store.tenants());

            assertThat(refused)
                    .isInstanceOf(DatabaseException.class)
                    .hasMessage("listing tenants: the database is not keeping up (1 statement(s) already wait)");
            locker.rollback();
            assertThat(await(running)).extracting(Tenant::id).containsExactly("acme");
            assertThat(await(queued)).extracting(Tenant::id).containsExactly("acme");
        }
    }

    @Test
    void aClosedStore_failsEveryCall() {
        PostgresTenantStore store = open();
        store.close();
        store.close();

        assertThat(failure(store.tenants()))
                .isInstanceOf(DatabaseException.class)
                .hasMessage("listing tenants: the tenant store is closed");
        assertThat(failure(store.rotateKey("acme"))).isInstanceOf(DatabaseException.class);
    }

    @Test
    void open_ofADatabaseThatIsNotThere_failsNamingItWithoutThePassword() {
        DatabaseUrl nowhere = DatabaseUrl.parse("postgresql://gatehouse:s3cret@127.0.0.1:1/gatehouse");

        assertThatThrownBy(() -> PostgresTenantStore.builder(nowhere).open())
                .isInstanceOf(DatabaseException.class)
                .hasMessageStartingWith("cannot connect to postgresql://gatehouse:***@127.0.0.1:1/gatehouse: ")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void builder_refusesASchemaThatIsNoPlainName() {
        PostgresTenantStore.Builder builder = PostgresTenantStore.builder(DatabaseUrl.parse("postgresql://h/db"));

        assertThatThrownBy(() -> builder.schema("public; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("schema: \"public; DROP TABLE x\" (expected: 1-63 of a-z 0-9 _, from a-z or _)");
        assertThatThrownBy(() -> builder.poolSize(0)).hasMessage("poolSize: 0 (expected: 1 <= poolSize <= 64)");
    }
}
