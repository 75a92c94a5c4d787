package dev.gatehouse.cli;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.jdbc.DatabaseUrl;
import dev.gatehouse.jdbc.PostgresTenantStore;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.waitingroom.ApiKeys;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse tenants} against the real PostgreSQL ({@code GATEHOUSE_JDBC_URL}), in a schema of
 * this class's own (named in the URL's {@code currentSchema}), which a store opened beside the
 * command reads as a running server would. The usage errors and the unreachable database need no
 * server.
 */
class TenantsCommandTest {

    private static final Pattern API_KEY = Pattern.compile("(?m)^api key  (gh_[A-Za-z0-9_-]{43})$");

    private static @Nullable String databaseUrl;
    private static @Nullable PostgresTenantStore server;

    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    /** The schema's URL, made on first use: the tests that need no server run without one. */
    private static synchronized String databaseUrl() {
        if (databaseUrl == null) {
            String base = RequiredServices.postgres();
            byte[] suffix = new byte[6];
            new SecureRandom().nextBytes(suffix);
            String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=gh_cli_"
                    + HexFormat.of().formatHex(suffix);
            try {
                server = PostgresTenantStore.builder(DatabaseUrl.parse(url)).open();
            } catch (RuntimeException e) {
                RequiredServices.missing("PostgreSQL at " + base + " (GATEHOUSE_JDBC_URL): " + e.getMessage());
                throw e;
            }
            databaseUrl = url;
        }
        return databaseUrl;
    }

    @AfterAll
    static void dropSchema() throws SQLException {
        if (server == null || databaseUrl == null) {
            return;
        }
        server.close();
        DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
        try (Connection connection = DriverManager.getConnection(
                        url.jdbcUrl(), url.user().orElse(null), url.password().orElse(null));
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + server.schema() + " CASCADE");
        }
    }

    private static PostgresTenantStore server() {
        databaseUrl();
        if (server == null) {
            throw new IllegalStateException("no store: databaseUrl() opens it");
        }
        return server;
    }

    @BeforeEach
    void freshOutput() {
        out = new StringWriter();
        err = new StringWriter();
    }

    private int tenants(String... args) {
        return tenantsWith(Map.of("DATABASE_URL", databaseUrl()), args);
    }

    private int tenantsWith(Map<String, String> env, String... args) {
        out = new StringWriter();
        err = new StringWriter();
        String[] command = new String[args.length + 1];
        command[0] = "tenants";
        System.arraycopy(args, 0, command, 1, args.length);
        return Cli.run(command, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private String printedKey() {
        Matcher key = API_KEY.matcher(out.toString());
        assertThat(key.find()).as("an API key line in:%n%s", out).isTrue();
        return key.group(1);
    }

    private @Nullable Tenant served(String id) {
        return await(server().tenants()).stream()
                .filter(tenant -> tenant.id().equals(id))
                .findFirst()
                .orElse(null);
    }

    @Test
    void add_printsTheIdAndTheKeyOnce_andTheServerHasItsHash() {
        assertThat(tenants("add", "Acme Tickets")).isZero();

        assertThat(out.toString())
                .contains("tenant   acme-tickets\n", "name     Acme Tickets\n")
                .contains("The API key is shown only now");
        String key = printedKey();
        assertThat(err.toString()).isEmpty();
        assertThat(served("acme-tickets")).isEqualTo(new Tenant("acme-tickets", "Acme Tickets", ApiKeys.hash(key)));
    }

    @Test
    void add_withAnId_usesIt() {
        assertThat(tenants("add", "Zeta Concerts", "--id", "zeta")).isZero();

        assertThat(out.toString()).contains("tenant   zeta\n");
        assertThat(served("zeta")).isNotNull();
    }

    @Test
    void list_showsIdNameAndCreationTime_neverKeysOrHashes() {
        tenants("add", "Listed One", "--id", "listed-one");
        String key = printedKey();

        assertThat(tenants("list")).isZero();

        assertThat(out.toString())
                .startsWith("ID ")
                .containsPattern("(?m)^listed-one +Listed One +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$")
                .doesNotContain(key)
                .doesNotContain(ApiKeys.hash(key));
    }

    @Test
    void add_ofATakenOrRevokedId_failsNamingIt() {
        assertThat(tenants("add", "Taken", "--id", "taken")).isZero();

        assertThat(tenants("add", "Taken again", "--id", "taken")).isEqualTo(TenantsCommand.FAILED);
        assertThat(err.toString())
                .isEqualTo("gatehouse tenants: tenant id taken is taken (the id of a revoked tenant is never reused);"
                        + " choose another with --id\n");
        assertThat(out.toString()).isEmpty();

        tenants("revoke", "taken");
        assertThat(tenants("add", "Taken", "--id", "taken")).isEqualTo(TenantsCommand.FAILED);
    }

    @Test
    void rotateKey_printsANewKey_theServerSeesItsHash_andTheAuditLogSaysSo() {
        tenants("add", "Rotated", "--id", "rotated");
        String oldKey = printedKey();

        assertThat(tenants("rotate-key", "rotated")).isZero();

        String newKey = printedKey();
        assertThat(newKey).isNotEqualTo(oldKey);
        assertThat(out.toString()).contains("The new API key is shown only now");
        assertThat(served("rotated")).extracting(Tenant::keyHash).isEqualTo(ApiKeys.hash(newKey));
        assertThat(await(server().recentAudit("rotated", 10)))
                .extracting(AuditEvent::kind)
                .containsExactly(AuditKind.KEY_ROTATED);
    }

    @Test
    void revoke_hidesTheTenantFromTheServer_once() {
        tenants("add", "Revoked", "--id", "revoked");

        assertThat(tenants("revoke", "revoked")).isZero();
        assertThat(out.toString()).isEqualTo("revoked tenant revoked\n");
        assertThat(served("revoked")).isNull();
        assertThat(await(server().recentAudit("revoked", 10)))
                .extracting(AuditEvent::kind)
                .containsExactly(AuditKind.REVOKED);

        assertThat(tenants("revoke", "revoked")).isEqualTo(TenantsCommand.FAILED);
        assertThat(err.toString())
                .isEqualTo("gatehouse tenants: no tenant revoked (unknown or revoked; see gatehouse tenants list)\n");
        assertThat(tenants("rotate-key", "revoked")).isEqualTo(TenantsCommand.FAILED);
        tenants("list");
        assertThat(out.toString()).doesNotContain("revoked");
    }

    @Test
    void unknownIds_failWithOneLine() {
        assertThat(tenants("rotate-key", "nobody")).isEqualTo(TenantsCommand.FAILED);
        assertThat(err.toString())
                .isEqualTo("gatehouse tenants: no tenant nobody (unknown or revoked; see gatehouse tenants list)\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void badNamesAndIds_areUsageErrors() {
        assertThat(tenantsWith(Map.of(), "add", "Bad", "--id", "Not An Id")).isEqualTo(TenantsCommand.USAGE);
        assertThat(err.toString())
                .isEqualTo(
                        "gatehouse tenants: tenant id \"Not An Id\" (expected: 1-64 of a-z 0-9 _ -, from a-z 0-9)\n");

        assertThat(tenantsWith(Map.of(), "add", "***")).isEqualTo(TenantsCommand.USAGE);
        assertThat(err.toString()).contains("NAME \"***\" has no letter or digit to make an id of: give one with --id");

        assertThat(tenantsWith(Map.of(), "add", "line\nbreak")).isEqualTo(TenantsCommand.USAGE);
        assertThat(err.toString()).contains("NAME must be 1-200 characters without control characters");
    }

    @Test
    void missingArgumentsAndUnknownSubcommands_areUsageErrors() {
        assertThat(tenantsWith(Map.of(), "add")).isEqualTo(TenantsCommand.USAGE);
        assertThat(err.toString()).contains("Missing required parameter: 'NAME'");
        assertThat(tenantsWith(Map.of(), "rotate-key")).isEqualTo(TenantsCommand.USAGE);
        assertThat(tenantsWith(Map.of(), "rename", "x")).isEqualTo(TenantsCommand.USAGE);
    }

    @Test
    void theDatabase_comesFromTheFlagOverTheEnvironmentOverTheConfigFile() throws IOException {
        Path yaml = Files.writeString(
                dir.resolve("gatehouse.yml"),
                "rate:\n  port: 9000\nroom:\n  database-url: \"" + databaseUrl() + "\"\n");
        assertThat(tenantsWith(Map.of(), "list", "--config", yaml.toString())).isZero();
        assertThat(tenantsWith(Map.of("GATEHOUSE_CONFIG", yaml.toString()), "list"))
                .isZero();

        String nowhere = "postgresql://gatehouse:s3cret@127.0.0.1:1/gatehouse";
        assertThat(tenantsWith(Map.of("DATABASE_URL", nowhere, "GATEHOUSE_CONFIG", yaml.toString()), "list"))
                .isEqualTo(TenantsCommand.FAILED);
        assertThat(tenantsWith(Map.of("DATABASE_URL", nowhere), "list", "--database-url", databaseUrl()))
                .isZero();
    }

    @Test
    void noDatabase_isAUsageError() {
        assertThat(tenantsWith(Map.of(), "list")).isEqualTo(TenantsCommand.USAGE);

        assertThat(err.toString())
                .isEqualTo("gatehouse tenants: no database: give --database-url, set DATABASE_URL, or set"
                        + " room.database-url in the --config file\n");
    }

    @Test
    void aBadDatabaseUrl_isAUsageErrorThatHidesThePassword() {
        assertThat(tenantsWith(Map.of("DATABASE_URL", "postgresql://gatehouse:s3cret@db"), "list"))
                .isEqualTo(TenantsCommand.USAGE);

        assertThat(err.toString())
                .startsWith(
                        "gatehouse tenants: room.database-url from env DATABASE_URL: database URL: no database name")
                .doesNotContain("s3cret");
    }

    @Test
    void aDatabaseThatCannotBeReached_isOneLineWithoutPasswordOrStackTrace() {
        PrintStream realErr = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
            exit = tenantsWith(
                    Map.of(), "list", "--database-url", "postgresql://gatehouse:s3cret@127.0.0.1:1/gatehouse");
        } finally {
            System.setErr(realErr);
        }

        assertThat(exit).isEqualTo(TenantsCommand.FAILED);
        assertThat(err.toString().lines().toList())
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .startsWith(
                                "gatehouse tenants: cannot connect to postgresql://gatehouse:***@127.0.0.1:1/gatehouse: ")
                        .doesNotContain("s3cret"));
        assertThat(logged.toString(StandardCharsets.UTF_8)).doesNotContain("\tat ", "Exception", "s3cret");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void help_namesEverySubcommandAndTheDatabaseSetting() {
        assertThat(tenantsWith(Map.of(), "--help")).isZero();
        assertThat(out.toString()).contains("add", "list", "rotate-key", "revoke");

        assertThat(tenantsWith(Map.of(), "add", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", "")) // help wraps its lines
                .contains("--database-url=URL", "env:DATABASE_URL", "yaml:room.database-url");
    }

    @Test
    void idFrom_keepsLowercaseLettersAndDigits() {
        assertThat(List.of(
                        "Acme Tickets", "  Café  Noir! ", "Ünïcode", "a".repeat(70), "x -- y", "a".repeat(63) + " b"))
                .map(TenantsCommand::idFrom)
                .containsExactly("acme-tickets", "caf-noir", "n-code", "a".repeat(64), "x-y", "a".repeat(63));
    }
}
