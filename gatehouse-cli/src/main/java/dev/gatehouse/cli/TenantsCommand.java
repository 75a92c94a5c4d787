package dev.gatehouse.cli;

import dev.gatehouse.cli.log.LogSetup;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.Credentials;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.jdbc.DatabaseException;
import dev.gatehouse.jdbc.DatabaseUrl;
import dev.gatehouse.jdbc.PostgresTenantStore;
import dev.gatehouse.server.room.RoomSettings;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import dev.gatehouse.waitingroom.TenantStore.Issued;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse tenants add|list|rotate-key|revoke}: the waiting room's tenants and their API keys,
 * kept in the PostgreSQL database that {@code room.database-url} names.
 */
@Command(
        name = "tenants",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.class,
        description = {
            "Adds, lists, re-keys and revokes the waiting room's tenants, kept in PostgreSQL.",
            "The database comes from --database-url, else env DATABASE_URL, else room.database-url in the"
                    + " --config file; its schema is migrated first if needed."
        })
final class TenantsCommand implements Runnable {

    /** The database: the room's own setting, so {@code serve} and {@code tenants} read one declaration. */
    private static final Setting<String> DATABASE_URL = RoomSettings.DATABASE_URL;

    /** Exit code of an id that is unknown or taken, and of a database that cannot be reached. */
    static final int FAILED = 1;

    /** Exit code of a usage or configuration error. */
    static final int USAGE = 2;

    private static final int MAX_NAME_LENGTH = 200;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            scope = CommandLine.ScopeType.INHERIT,
            description = "YAML configuration file (env: " + ServeCommand.CONFIG_ENV + "), as serve reads it")
    private @Nullable Path config;

    @CommandLine.Spec
    private CommandSpec spec;

    private final Map<String, String> env;
    private final PrintWriter out;
    private final PrintWriter err;

    TenantsCommand(Map<String, String> env, PrintWriter out, PrintWriter err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    /** Adds {@code --database-url} to every subcommand of {@code tenants}, from its one declaration. */
    static void addDatabaseOption(CommandLine tenants) {
        for (CommandLine subcommand : tenants.getSubcommands().values()) {
            if (subcommand.getCommandName().equals("help")) {
                continue;
            }
            subcommand
                    .getCommandSpec()
                    .addOption(OptionSpec.builder(DATABASE_URL.flags().toArray(String[]::new))
                            .type(String.class)
                            .paramLabel("URL")
                            .description(DATABASE_URL.doc() + " (env: " + DATABASE_URL.env() + ", yaml: "
                                    + DATABASE_URL.path() + ")")
                            .build());
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            versionProvider = VersionCommand.class,
            description = "Adds a tenant and prints its id and its API key, which is shown only this once.")
    int add(
            @Parameters(paramLabel = "NAME", description = "The tenant's name, for people (at most 200 characters)")
                    String name,
            @Option(
                            names = "--id",
                            paramLabel = "ID",
                            description = "The tenant's id (1-64 of a-z 0-9 _ -); by default made from NAME")
                    @Nullable
                    String id) {
        String trimmed = name.strip();
        if (trimmed.isEmpty()
                || trimmed.length() > MAX_NAME_LENGTH
                || trimmed.chars().anyMatch(Character::isISOControl)) {
            return usage("NAME must be 1-" + MAX_NAME_LENGTH + " characters without control characters");
        }
        String tenantId = id != null ? id : idFrom(trimmed);
        if (tenantId.isEmpty()) {
            return usage("NAME \"" + trimmed + "\" has no letter or digit to make an id of: give one with --id");
        }
        if (!Tenant.isValidId(tenantId)) {
            return usage("tenant id \"" + tenantId + "\" (expected: 1-64 of a-z 0-9 _ -, from a-z 0-9)");
        }
        return withStore("add", store -> {
            Optional<Issued> issued = answer(store.add(tenantId, trimmed));
            if (issued.isEmpty()) {
                return failed("tenant id " + tenantId + " is taken (the id of a revoked tenant is never reused);"
                        + " choose another with --id");
            }
            out.println("tenant   " + issued.get().tenant().id());
            out.println("name     " + issued.get().tenant().name());
            out.println("api key  " + issued.get().apiKey());
            out.println("The API key is shown only now: Gatehouse keeps only its SHA-256. Store it safely.");
            return 0;
        });
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            versionProvider = VersionCommand.class,
            description = "Lists the tenants that are not revoked: id, name and creation time (never keys).")
    int list() {
        return withStore("list", store -> {
            List<PostgresTenantStore.Entry> entries = answer(store.entries());
            if (entries.isEmpty()) {
                out.println("no tenants");
                return 0;
            }
            int idWidth = Math.max(
                    "ID".length(),
                    entries.stream().mapToInt(e -> e.id().length()).max().orElse(0));
            int nameWidth = Math.max(
                    "NAME".length(),
                    entries.stream()
                            .mapToInt(e -> printable(e.name()).length())
                            .max()
                            .orElse(0));
            String row = "%-" + idWidth + "s  %-" + nameWidth + "s  %s%n";
            out.printf(row, "ID", "NAME", "CREATED");
            for (PostgresTenantStore.Entry entry : entries) {
                out.printf(
                        row,
                        entry.id(),
                        printable(entry.name()),
                        entry.createdAt().truncatedTo(ChronoUnit.SECONDS));
            }
            return 0;
        });
    }

    @Command(
            name = "rotate-key",
            mixinStandardHelpOptions = true,
            versionProvider = VersionCommand.class,
            description = "Gives a tenant a new API key, shown only this once; the old key stops being valid.")
    int rotateKey(@Parameters(paramLabel = "ID", description = "The tenant's id") String id) {
        return withStore("rotate-key", store -> {
            Optional<Issued> issued = answer(store.rotateKey(id));
            if (issued.isEmpty()) {
                return failed(noLiveTenant(id));
            }
            out.println("tenant   " + id);
            out.println("api key  " + issued.get().apiKey());
            out.println("The new API key is shown only now; the old one is no longer valid. Store it safely.");
            out.flush();
            recordInAudit(store, id, AuditKind.KEY_ROTATED);
            return 0;
        });
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            versionProvider = VersionCommand.class,
            description =
                    "Revokes a tenant: its key stops being valid, it is no longer listed, its id is never reused.")
    int revoke(@Parameters(paramLabel = "ID", description = "The tenant's id") String id) {
        return withStore("revoke", store -> {
            if (!answer(store.revoke(id))) {
                return failed(noLiveTenant(id));
            }
            out.println("revoked tenant " + id);
            out.flush();
            recordInAudit(store, id, AuditKind.REVOKED);
            return 0;
        });
    }

    private static String noLiveTenant(String id) {
        return "no tenant " + printable(id) + " (unknown or revoked; see gatehouse tenants list)";
    }

    /**
     * Writes what was done to the audit log; a failure there is a warning, since the change itself
     * is made (and a new key already printed).
     */
    private void recordInAudit(PostgresTenantStore store, String id, AuditKind kind) {
        try {
            answer(store.audit(List.of(new AuditEvent(id, System.currentTimeMillis(), kind, null, 1))));
        } catch (DatabaseException e) {
            err.println("gatehouse: warning: done, but not written to the audit log: " + e.getMessage());
        }
    }

    /** What a subcommand does with the store. */
    @FunctionalInterface
    private interface StoreWork {
        int run(PostgresTenantStore store);
    }

    /** Opens the store named by the settings, runs {@code work} and closes it; one line on stderr for any failure. */
    private int withStore(String subcommand, StoreWork work) {
        DatabaseUrl url;
        try {
            ResolvedSettings settings = ResolvedSettings.resolve(declared(), configFile(), flags(subcommand), env);
            String text = settings.get(DATABASE_URL);
            if (text.isEmpty()) {
                return usage("no database: give --database-url, set DATABASE_URL, or set " + DATABASE_URL.path()
                        + " in the --config file");
            }
            try {
                url = DatabaseUrl.parse(text);
            } catch (IllegalArgumentException e) {
                return usage(DATABASE_URL.path() + " from "
                        + settings.value(DATABASE_URL).source() + ": " + e.getMessage());
            }
        } catch (ConfigException e) {
            return usage("bad configuration: " + Credentials.masked(e.getMessage()));
        }
        LogSetup.forOneShotCommand();
        try (PostgresTenantStore store =
                PostgresTenantStore.builder(url).poolSize(1).open()) {
            return work.run(store);
        } catch (DatabaseException e) {
            return failed(String.valueOf(e.getMessage()));
        }
    }

    /** What the YAML file may hold: serve's settings, the database's among them, so one file serves both. */
    private static List<Setting<?>> declared() {
        return ServeCommand.SETTINGS;
    }

    private Optional<Path> configFile() {
        return Optional.ofNullable(config)
                .or(() -> Optional.ofNullable(env.get(ServeCommand.CONFIG_ENV))
                        .filter(s -> !s.isBlank())
                        .map(Path::of));
    }

    private Map<Setting<?>, String> flags(String subcommand) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult().subcommand();
        if (parsed == null || !parsed.commandSpec().name().equals(subcommand)) {
            return Map.of();
        }
        OptionSpec option = parsed.commandSpec().findOption(DATABASE_URL.flags().getFirst());
        return option != null && parsed.hasMatchedOption(option) ? Map.of(DATABASE_URL, option.getValue()) : Map.of();
    }

    /** The value of a stage of the store, waited for; its failure rethrown as it is. */
    private static <T> T answer(CompletionStage<T> stage) {
        return Failures.join(stage);
    }

    /**
     * An id made from a name: lowercase ASCII letters and digits kept, every other run of characters
     * one {@code -}, at most 64, never starting or ending with {@code -}.
     */
    static String idFrom(String name) {
        String id = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+", "");
        if (id.length() > 64) {
            id = id.substring(0, 64);
        }
        return id.replaceAll("-+$", "");
    }

    /** {@code text} with control characters shown as {@code ?}, safe for a terminal. */
    private static String printable(String text) {
        return text.codePoints()
                .map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }

    private int usage(String problem) {
        err.println("gatehouse tenants: " + problem);
        return USAGE;
    }

    private int failed(String problem) {
        err.println("gatehouse tenants: " + problem);
        return FAILED;
    }
}
