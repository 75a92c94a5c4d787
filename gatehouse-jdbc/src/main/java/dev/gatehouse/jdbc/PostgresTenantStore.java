package dev.gatehouse.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.gatehouse.core.check.Require;
import dev.gatehouse.waitingroom.ApiKeys;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TenantStore} in PostgreSQL: tenants with the SHA-256 of their API keys, room configs and the
 * audit log, in a schema of their own that Flyway migrates on {@link Builder#open()}. Every replica
 * of a server may open one over the same database; what one writes the others read.
 */
public final class PostgresTenantStore implements TenantStore, AutoCloseable {

    /*
     * Design: the port is asynchronous and JDBC blocks, so statements run on a small executor of the
     * store's own, as many threads as the pool has connections (a statement never waits for a
     * connection another statement of this store holds), with a bounded queue: a database that has
     * stopped answering fills the queue and further calls fail at once instead of piling up. Stages
     * complete on those threads; a caller on an event loop hops back to it itself.
     *
     * Every write is one statement, so there is nothing to lock: register and add are INSERT … ON
     * CONFLICT DO NOTHING, whose row count says who won when replicas race (when it inserted nothing,
     * a read tells a taken id from a key hash another id holds); rotateKey and
     * revoke are one UPDATE guarded by revoked_at IS NULL, so a revoked tenant stays revoked and
     * keeps its last key hash (the unique key_hash index keeps one key from naming two tenants).
     * Only an audit batch spans statements, in one transaction. The raw key never leaves this
     * process: it is hashed before any statement is built, and no message or log line holds it.
     * Ids are ordered with the "C" collation so the order is the memory store's (code points), not
     * the database's locale.
     */

    /** The schema the tables live in unless the builder or the URL's {@code currentSchema} says otherwise. */
    public static final String DEFAULT_SCHEMA = "gatehouse";

    /** Connections, and threads running statements, by default. */
    public static final int DEFAULT_POOL_SIZE = 4;

    /** Statements that may wait for a thread, by default, before further calls fail at once. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1_000;

    /** How long connecting (or waiting for a connection) may take, by default. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** How long {@link #close()} waits for statements already queued to finish. */
    private static final Duration CLOSE_PATIENCE = Duration.ofSeconds(10);

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final String MIGRATIONS = "classpath:db/migration/gatehouse";
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Logger LOG = LoggerFactory.getLogger(PostgresTenantStore.class);

    // no conflict target: two replicas inserting one tenant clash on the key hash's index as well as
    // on the id's, and a conflict on any index but the target's would be an error instead of nothing
    private static final String INSERT_TENANT =
            "INSERT INTO tenants (id, name, key_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    private static final String ID_TAKEN = "SELECT 1 FROM tenants WHERE id = ?";
    private static final String LIVE_TENANTS =
            "SELECT id, name, key_hash, created_at FROM tenants WHERE revoked_at IS NULL ORDER BY id COLLATE \"C\"";
    private static final String CONFIG_COLUMNS =
            Arrays.stream(Field.values()).map(Field::wireName).collect(Collectors.joining(", "));
    private static final String SELECT_CONFIG = "SELECT " + CONFIG_COLUMNS + " FROM room_configs WHERE tenant_id = ?";
    private static final String UPSERT_CONFIG = "INSERT INTO room_configs (tenant_id, " + CONFIG_COLUMNS
            + ") VALUES (?" + ", ?".repeat(Field.values().length) + ") ON CONFLICT (tenant_id) DO UPDATE SET "
            + Arrays.stream(Field.values())
                    .map(field -> field.wireName() + " = EXCLUDED." + field.wireName())
                    .collect(Collectors.joining(", "))
            + ", updated_at = now()";
    /** Rows one statement of {@link #pruneAudit} deletes at most. */
    static final int PRUNE_BATCH = 10_000;

    private static final String PRUNE_AUDIT =
            "DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE at < ? LIMIT ?)";
    private static final String INSERT_AUDIT =
            "INSERT INTO audit_log (tenant_id, at, kind, user_id, count) VALUES (?, ?, ?, ?, ?)";
    private static final String RECENT_AUDIT = "SELECT at, kind, user_id, count FROM audit_log"
            + " WHERE tenant_id = ? ORDER BY at DESC, seq DESC LIMIT ?";

    private final HikariDataSource pool;
    private final ThreadPoolExecutor executor;
    private final String schema;
    private final int queueCapacity;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PostgresTenantStore(HikariDataSource pool, ThreadPoolExecutor executor, String schema, int queueCapacity) {
        this.pool = pool;
        this.executor = executor;
        this.schema = schema;
        this.queueCapacity = queueCapacity;
    }

    /** A builder for a store over the database at {@code url}. */
    public static Builder builder(DatabaseUrl url) {
        return new Builder(Require.given("url", url, "a database URL"));
    }

    /** A live tenant as an operator lists it: never its key or its key's hash. */
    public record Entry(String id, String name, Instant createdAt) {}

    /** The live tenants with when each was created, by id. */
    public CompletionStage<List<Entry>> entries() {
        return run("listing tenants", connection -> {
            List<Entry> entries = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(LIVE_TENANTS);
                    ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    entries.add(new Entry(
                            rows.getString("id"),
                            rows.getString("name"),
                            instant(rows, "created_at").orElseThrow()));
                }
            }
            return entries;
        });
    }

    @Override
    public CompletionStage<List<Tenant>> tenants() {
        return run("listing tenants", connection -> {
            List<Tenant> tenants = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(LIVE_TENANTS);
                    ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    tenants.add(new Tenant(rows.getString("id"), rows.getString("name"), rows.getString("key_hash")));
                }
            }
            return tenants;
        });
    }

    @Override
    public CompletionStage<Boolean> register(Tenant tenant) {
        Require.given("tenant", tenant, "a tenant");
        return run("registering tenant " + tenant.id(), connection -> insert(connection, tenant));
    }

    @Override
    public CompletionStage<Optional<Issued>> add(String id, String name) {
        Require.given("name", name, "a name");
        String key = ApiKeys.generate();
        Tenant tenant = new Tenant(id, name, ApiKeys.hash(key)); // checks the id before any statement
        return run(
                "adding tenant " + id,
                connection -> insert(connection, tenant) ? Optional.of(new Issued(tenant, key)) : Optional.empty());
    }

    @Override
    public CompletionStage<Optional<Issued>> rotateKey(String id) {
        Require.given("id", id, "a tenant id");
        String key = ApiKeys.generate();
        String hash = ApiKeys.hash(key);
        return run("rotating the key of tenant " + id, connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE tenants SET key_hash = ? WHERE id = ? AND revoked_at IS NULL RETURNING name")) {
                update.setString(1, hash);
                update.setString(2, id);
                try (ResultSet row = update.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Issued(new Tenant(id, row.getString("name"), hash), key));
                }
            }
        });
    }

    @Override
    public CompletionStage<Boolean> revoke(String id) {
        Require.given("id", id, "a tenant id");
        return run("revoking tenant " + id, connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE tenants SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL")) {
                update.setString(1, id);
                return update.executeUpdate() == 1;
            }
        });
    }

    @Override
    public CompletionStage<Optional<RoomConfig>> config(String id) {
        Require.given("id", id, "a tenant id");
        return run("reading the room config of " + id, connection -> {
            try (PreparedStatement select = connection.prepareStatement(SELECT_CONFIG)) {
                select.setString(1, id);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    Map<Field, Long> values = new EnumMap<>(Field.class);
                    for (Field field : Field.values()) {
                        values.put(field, row.getLong(field.wireName()));
                    }
                    return Optional.of(RoomConfig.of(values));
                }
            }
        });
    }

    @Override
    public CompletionStage<Void> saveConfig(String id, RoomConfig config) {
        Require.given("id", id, "a tenant id");
        Require.given("config", config, "a room config");
        return runAction("saving the room config of " + id, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT_CONFIG)) {
                upsert.setString(1, id);
                Field[] fields = Field.values();
                for (int i = 0; i < fields.length; i++) {
                    upsert.setLong(i + 2, fields[i].of(config));
                }
                upsert.executeUpdate();
            }
        });
    }

    @Override
    public CompletionStage<Void> audit(List<AuditEvent> events) {
        List<AuditEvent> batch = List.copyOf(events);
        if (batch.isEmpty()) {
            return DONE;
        }
        return runAction("writing " + batch.size() + " audit event(s)", connection -> {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement(INSERT_AUDIT)) {
                for (AuditEvent event : batch) {
                    insert.setString(1, event.tenantId());
                    insert.setObject(
                            2, OffsetDateTime.ofInstant(Instant.ofEpochMilli(event.atMillis()), ZoneOffset.UTC));
                    insert.setString(3, event.kind().name());
                    insert.setString(4, event.user());
                    insert.setLong(5, event.count());
                    insert.addBatch();
                }
                insert.executeBatch();
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback(); // the pool sets auto-commit back when the connection returns
                throw e;
            }
        });
    }

    @Override
    public CompletionStage<List<AuditEvent>> recentAudit(String id, int limit) {
        Require.given("id", id, "a tenant id");
        if (limit <= 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        return run("reading the audit log of " + id, connection -> {
            List<AuditEvent> recent = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(RECENT_AUDIT)) {
                select.setString(1, id);
                select.setInt(2, limit);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        recent.add(new AuditEvent(
                                id,
                                instant(rows, "at").orElseThrow().toEpochMilli(),
                                AuditKind.valueOf(rows.getString("kind")),
                                rows.getString("user_id"),
                                rows.getLong("count")));
                    }
                }
            }
            return recent;
        });
    }

    /**
     * Deletes in batches of {@link #PRUNE_BATCH} rows, each its own statement (and transaction), so a
     * prune of millions of rows never holds a long lock or a long transaction, and writers go on
     * between batches; {@code audit_log_at} finds the rows.
     */
    @Override
    public CompletionStage<Long> pruneAudit(long beforeMillis) {
        OffsetDateTime before = OffsetDateTime.ofInstant(Instant.ofEpochMilli(beforeMillis), ZoneOffset.UTC);
        return run("pruning the audit log before " + before, connection -> {
            long deleted = 0;
            try (PreparedStatement delete = connection.prepareStatement(PRUNE_AUDIT)) {
                delete.setObject(1, before);
                delete.setInt(2, PRUNE_BATCH);
                int batch;
                do {
                    batch = delete.executeUpdate();
                    deleted += batch;
                } while (batch == PRUNE_BATCH && !closed.get());
            }
            return deleted;
        });
    }

    /** The schema the store's tables are in. */
    public String schema() {
        return schema;
    }

    /**
     * Lets the statements already queued finish (for a while), then closes the pool and the threads.
     * Calls after this fail; closing again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                abandonQueued();
            }
        } catch (InterruptedException e) {
            abandonQueued();
            Thread.currentThread().interrupt();
        } finally {
            pool.close();
        }
    }

    private void abandonQueued() {
        for (Runnable queued : executor.shutdownNow()) {
            if (queued instanceof Call<?> call) {
                call.result.completeExceptionally(
                        new DatabaseException(call.operation + ": the tenant store was closed first"));
            }
        }
    }

    /**
     * Inserts {@code tenant} unless its id (or its key hash) is taken; whether it did. A key hash that
     * another id holds fails: the id is free, so "already there" would be a lie.
     */
    private static boolean insert(Connection connection, Tenant tenant) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT_TENANT)) {
            insert.setString(1, tenant.id());
            insert.setString(2, tenant.name());
            insert.setString(3, tenant.keyHash());
            if (insert.executeUpdate() == 1) {
                return true;
            }
        }
        // A statement of its own, so it sees the row the insert yielded to, committed by then.
        try (PreparedStatement select = connection.prepareStatement(ID_TAKEN)) {
            select.setString(1, tenant.id());
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    return false;
                }
            }
        }
        throw new DatabaseException("tenant " + tenant.id() + ": its key hash belongs to another tenant");
    }

    private static Optional<Instant> instant(ResultSet row, String column) throws SQLException {
        OffsetDateTime time = row.getObject(column, OffsetDateTime.class);
        return time == null ? Optional.empty() : Optional.of(time.toInstant());
    }

    /** Work on one connection of the pool that answers nothing. */
    @FunctionalInterface
    private interface SqlAction {
        void run(Connection connection) throws SQLException;
    }

    private CompletionStage<Void> runAction(String operation, SqlAction action) {
        return run(operation, connection -> {
                    action.run(connection);
                    return Boolean.TRUE;
                })
                .thenCompose(done -> DONE);
    }

    /** Work on one connection of the pool. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** {@code work} on the store's threads; its stage fails with a {@link DatabaseException} naming {@code operation}. */
    private <T> CompletionStage<T> run(String operation, SqlWork<T> work) {
        Call<T> call = new Call<>(operation, work, pool);
        if (closed.get()) {
            call.result.completeExceptionally(new DatabaseException(operation + ": the tenant store is closed"));
            return call.result;
        }
        try {
            executor.execute(call);
        } catch (RejectedExecutionException e) {
            call.result.completeExceptionally(new DatabaseException(
                    operation + ": "
                            + (closed.get()
                                    ? "the tenant store is closed"
                                    : "the database is not keeping up (" + queueCapacity
                                            + " statement(s) already wait)"),
                    e));
        }
        return call.result;
    }

    /** One operation waiting for, or running on, a thread of the store. */
    private static final class Call<T> implements Runnable {

        final String operation;
        final CompletableFuture<T> result = new CompletableFuture<>();
        private final SqlWork<T> work;
        private final HikariDataSource pool;

        Call(String operation, SqlWork<T> work, HikariDataSource pool) {
            this.operation = operation;
            this.work = work;
            this.pool = pool;
        }

        @Override
        public void run() {
            T value;
            try (Connection connection = pool.getConnection()) {
                value = work.run(connection);
            } catch (SQLException e) {
                result.completeExceptionally(new DatabaseException(operation + ": " + reason(e), e));
                return;
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                return;
            }
            result.complete(value);
        }
    }

    /** The most specific message in {@code error}'s chain: the database's or the driver's own words. */
    static String reason(Throwable error) {
        String reason = String.valueOf(error.getMessage());
        for (Throwable cause = error.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                reason = cause.getMessage();
            }
        }
        return reason;
    }

    /** How to open a {@link PostgresTenantStore}; every value is checked when it is set. */
    public static final class Builder {

        private final DatabaseUrl url;
        private String schema;
        private int poolSize = DEFAULT_POOL_SIZE;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;

        private Builder(DatabaseUrl url) {
            this.url = url;
            this.schema = url.schema().orElse(DEFAULT_SCHEMA);
        }

        /** The schema of the tables (made if missing); by default the URL's {@code currentSchema}, else {@value DEFAULT_SCHEMA}. */
        public Builder schema(String schema) {
            Require.given("schema", schema, "a schema name");
            if (!SCHEMA_NAME.matcher(schema).matches()) {
                throw new IllegalArgumentException(
                        "schema: \"" + schema + "\" (expected: 1-63 of a-z 0-9 _, from a-z or _)");
            }
            this.schema = schema;
            return this;
        }

        /** Connections to the database, and threads running statements. */
        public Builder poolSize(int poolSize) {
            this.poolSize = Require.inRange("poolSize", poolSize, 1, 64);
            return this;
        }

        /** Statements that may wait for a thread before further calls fail at once. */
        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = Require.inRange("queueCapacity", queueCapacity, 1, 1_000_000);
            return this;
        }

        /** How long connecting, or waiting for a free connection, may take. */
        public Builder connectTimeout(Duration connectTimeout) {
            Require.nanosAtLeast(
                    "connectTimeout", connectTimeout, Duration.ofMillis(250).toNanos());
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * Connects, migrates the schema to this version (Flyway; replicas starting together take
         * turns) and returns the store; blocks until then. A {@link DatabaseException} says why the
         * database could not be reached or migrated.
         */
        public PostgresTenantStore open() {
            HikariConfig config = new HikariConfig();
            config.setPoolName("gatehouse-jdbc");
            config.setJdbcUrl(url.jdbcUrl());
            url.user().ifPresent(config::setUsername);
            url.password().ifPresent(config::setPassword);
            config.setSchema(schema);
            config.setMaximumPoolSize(poolSize);
            config.setMinimumIdle(1);
            config.setConnectionTimeout(connectTimeout.toMillis());
            config.setInitializationFailTimeout(1); // one attempt: a database that is not there fails the start
            config.addDataSourceProperty("ApplicationName", "gatehouse");
            HikariDataSource pool;
            try {
                pool = new HikariDataSource(config);
            } catch (RuntimeException e) { // HikariPool.PoolInitializationException, a configuration refused
                throw new DatabaseException("cannot connect to " + url.masked() + ": " + reason(e), e);
            }
            try {
                // connections of its own: Flyway holds one for its lock while another migrates, which a
                // pool of one could not give it
                MigrateResult migrated = Flyway.configure(PostgresTenantStore.class.getClassLoader())
                        .dataSource(
                                url.jdbcUrl(),
                                url.user().orElse(null),
                                url.password().orElse(null))
                        .schemas(schema)
                        .locations(MIGRATIONS)
                        .load()
                        .migrate();
                LOG.info(
                        "tenant store: PostgreSQL at {}, schema {}, at version {} ({} migration(s) applied now)",
                        url.masked(),
                        schema,
                        migrated.targetSchemaVersion == null ? "(unchanged)" : migrated.targetSchemaVersion,
                        migrated.migrationsExecuted);
            } catch (FlywayException e) {
                pool.close();
                throw new DatabaseException(
                        "cannot migrate schema " + schema + " at " + url.masked() + ": " + reason(e), e);
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
            AtomicInteger threads = new AtomicInteger();
            ThreadPoolExecutor executor = new ThreadPoolExecutor(
                    poolSize, poolSize, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueCapacity), runnable -> {
                        Thread thread = new Thread(runnable, "gatehouse-jdbc-" + threads.incrementAndGet());
                        thread.setDaemon(true);
                        return thread;
                    });
            return new PostgresTenantStore(pool, executor, schema, queueCapacity);
        }
    }
}
