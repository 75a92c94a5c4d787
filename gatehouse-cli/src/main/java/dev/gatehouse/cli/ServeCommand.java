package dev.gatehouse.cli;

import dev.gatehouse.cli.log.LogSetup;
import dev.gatehouse.envoy.EnvoySettings;
import dev.gatehouse.http.Listeners;
import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.Credentials;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.GatehouseServer;
import dev.gatehouse.server.rate.RateSettings;
import dev.gatehouse.server.room.RoomSettings;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse serve}: resolves the configuration (flags over environment over YAML over
 * defaults), starts the server, prints where it listens, and runs until the process is stopped.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.class,
        sortOptions = false,
        description = {
            "Runs the rate-limit service (gocc-compatible) and the admin listener.",
            "Flags override environment variables, which override the YAML file, which overrides defaults."
        })
final class ServeCommand implements Callable<Integer> {

    /** Exit code of a configuration that cannot be used. */
    static final int BAD_CONFIG = 2;

    /** Exit code of a server that could not start (a port in use). */
    static final int CANNOT_START = 1;

    static final String CONFIG_ENV = "GATEHOUSE_CONFIG";

    /** Every setting of {@code serve}: the server's and the log's. */
    static final List<Setting<?>> SETTINGS = Stream.of(GatehouseServer.SETTINGS, LogSetup.SETTINGS)
            .flatMap(List::stream)
            .toList();

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "YAML configuration file (env: " + CONFIG_ENV + "); unknown keys are rejected")
    private @Nullable Path config;

    @Option(
            names = "--print-config",
            description = "Print the effective configuration as YAML, with where each value came from, and exit")
    private boolean printConfig;

    @Option(
            names = {"--instance-urls", "-i"},
            hidden = true,
            paramLabel = "URLS")
    private @Nullable String instanceUrls;

    @Option(
            names = {"--server-type", "-s"},
            hidden = true,
            paramLabel = "TYPE")
    private @Nullable String serverType;

    @Option(names = "--log-includes-source", hidden = true, arity = "0..1", fallbackValue = "true")
    private @Nullable String logIncludesSource;

    @CommandLine.Spec
    private CommandSpec spec;

    private final Map<String, String> env;
    private final PrintWriter out;
    private final PrintWriter err;

    ServeCommand(Map<String, String> env, PrintWriter out, PrintWriter err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        ResolvedSettings settings;
        try {
            Optional<Path> yaml = Optional.ofNullable(config)
                    .or(() -> Optional.ofNullable(env.get(CONFIG_ENV))
                            .filter(s -> !s.isBlank())
                            .map(Path::of));
            settings = ResolvedSettings.resolve(SETTINGS, yaml, givenFlags(), env);
            GatehouseServer.validate(settings);
            LogSetup.SETTINGS.forEach(settings::get);
        } catch (ConfigException e) {
            err.println("gatehouse: bad configuration: " + Credentials.masked(e.getMessage()));
            return BAD_CONFIG;
        }
        if (printConfig) {
            out.print(settings.toYaml());
            out.flush();
            return 0;
        }
        LogSetup.apply(settings);
        warnAboutGoccSettings();
        GatehouseServer server;
        try {
            server = GatehouseServer.start(settings);
        } catch (ConfigException e) {
            err.println("gatehouse: bad configuration: " + Credentials.masked(e.getMessage()));
            return BAD_CONFIG;
        } catch (IllegalStateException e) {
            err.println("gatehouse: " + Credentials.masked(e.getMessage()));
            return CANNOT_START;
        }
        printListening(server, settings);
        return Stop.awaitStop(server);
    }

    /**
     * gocc's settings that Gatehouse does not have are accepted, never fatal, never silently ignored:
     * each one given (flag or environment) is named in a warning that says what Gatehouse does instead.
     */
    private void warnAboutGoccSettings() {
        Logger log = LoggerFactory.getLogger(ServeCommand.class);
        goccSettingWarnings().forEach(log::warn);
    }

    /** One warning for each of gocc's settings Gatehouse does not have that was given. */
    List<String> goccSettingWarnings() {
        List<String> warnings = new ArrayList<>();
        if (given(instanceUrls, "INSTANCE_URLS")) {
            warnings.add("INSTANCE_URLS / --instance-urls (gocc's distributed mode) is ignored: every node decides "
                    + "on its own limits unless they share a store; run the nodes with --store redis --redis-url ... "
                    + "for one global limit per key");
        }
        if (given(serverType, "SERVER_TYPE")) {
            warnings.add("SERVER_TYPE / --server-type is ignored: Gatehouse serves HTTP/1.1 and h2c on one port");
        }
        if (given(logIncludesSource, "LOG_INCLUDES_SOURCE")) {
            warnings.add("LOG_INCLUDES_SOURCE / --log-includes-source is ignored: log lines name their logger instead");
        }
        return warnings;
    }

    private boolean given(@Nullable String flagValue, String envName) {
        String fromEnv = env.get(envName);
        return flagValue != null || (fromEnv != null && !fromEnv.isEmpty());
    }

    private Map<Setting<?>, String> givenFlags() {
        Map<Setting<?>, String> given = new HashMap<>();
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        for (Setting<?> setting : SETTINGS) {
            OptionSpec option = spec.findOption(setting.flags().getFirst());
            if (parsed.hasMatchedOption(option)) {
                given.put(setting, option.getValue());
            }
        }
        return given;
    }

    private void printListening(GatehouseServer server, ResolvedSettings settings) {
        // from the JVM's start: the process may have run ./gatehouse's build before it became the JVM
        String startup = ", ready " + ManagementFactory.getRuntimeMXBean().getUptime() + " ms after the JVM started";
        out.printf("gatehouse %s serving%s%n", VersionCommand.version(), startup);
        out.printf(
                "  rate API  http://%s:%d  (/rate/{key}, /debug, /healthz)%n",
                settings.get(RateSettings.HOST), server.ratePort());
        if (RoomSettings.from(settings).enabled()) {
            out.printf(
                    "  room API  http://%s:%d  (/queue/enqueue, /queue/status, /queue/verify, /queue/finish, /config,"
                            + " /health)%n",
                    settings.get(RateSettings.HOST), server.ratePort());
        }
        server.envoyPort()
                .ifPresent(port -> out.printf(
                        "  envoy RLS grpc://%s:%d  (envoy.service.ratelimit.v3.RateLimitService, domains from %s)%n",
                        settings.get(EnvoySettings.HOST), port, settings.get(EnvoySettings.CONFIG)));
        out.printf(
                "  admin     http://%s:%d  (/metrics, /healthz, /readyz)%n",
                settings.get(Listeners.ADMIN_HOST), server.adminPort());
        StoreSettings store = StoreSettings.from(settings);
        out.printf(
                "  store     %s%n",
                switch (store.type()) {
                    case MEMORY -> "memory (this process)";
                    case REDIS ->
                        "Redis at " + store.redisAddresses() + " (shared; degrade: "
                                + settings.get(RateSettings.STORE_DEGRADE)
                                        .name()
                                        .toLowerCase(Locale.ROOT)
                                        .replace('_', '-')
                                + ")";
                });
        out.flush();
    }
}
