package dev.gatehouse.jdbc;

import dev.gatehouse.testing.RequiredServices;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A schema of its own in the test PostgreSQL ({@code GATEHOUSE_JDBC_URL}), named at random so that
 * test classes, and builds running side by side, never meet; {@link #close()} drops it. When the
 * server does not answer, the test fails under {@code CI=true} and is skipped elsewhere.
 */
final class TestDatabase implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    final DatabaseUrl url;
    final String schema;

    private TestDatabase(DatabaseUrl url, String schema) {
        this.url = url;
        this.schema = schema;
    }

    /** A new schema name (not made yet: the first store's migration makes it). */
    static TestDatabase create() {
        DatabaseUrl url = DatabaseUrl.parse(RequiredServices.postgres());
        byte[] suffix = new byte[6];
        RANDOM.nextBytes(suffix);
        return new TestDatabase(url, "gh_test_" + HexFormat.of().formatHex(suffix));
    }

    /** A store over this schema, migrating it first. */
    PostgresTenantStore open() {
        return open(PostgresTenantStore.builder(url));
    }

    /** The store {@code builder} opens over this schema. */
    PostgresTenantStore open(PostgresTenantStore.Builder builder) {
        try {
            return builder.schema(schema).open();
        } catch (DatabaseException e) {
            RequiredServices.missing("PostgreSQL at " + url + " (GATEHOUSE_JDBC_URL): " + e.getMessage());
            throw e;
        }
    }

    /** A connection of the test's own, outside any store, with this schema first in its search path. */
    Connection connect() throws SQLException {
        Connection connection = DriverManager.getConnection(
                url.jdbcUrl(), url.user().orElse(null), url.password().orElse(null));
        connection.setSchema(schema);
        return connection;
    }

    /** The first column of every row {@code sql} answers, as text. */
    List<String> column(String sql) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code sql}, which answers no rows. */
    void execute(String sql) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e.getMessage(), e);
        }
    }

    /** Empties the store's tables, keeping the schema and its migration history. */
    void truncate() {
        execute("TRUNCATE tenants, room_configs, audit_log");
    }

    @Override
    public void close() {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new AssertionError("dropping schema " + schema + ": " + e.getMessage(), e);
        }
    }
}
