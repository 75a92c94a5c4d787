package dev.gatehouse.cli;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.cli.log.LogSetup;
import dev.gatehouse.gateway.Gateway;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.Credentials;
import dev.gatehouse.http.settings.ResolvedSettings;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse gateway --config gateway.yml}: reads Wicket's sidecar file (and Gatehouse's own
 * sections), starts the gateway, prints where it listens, and runs until the process is stopped.
 */
@Command(
        name = "gateway",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.class,
        sortOptions = false,
        description = {
            "Runs the sidecar gateway: a reverse proxy to the upstream with the admission pipeline",
            "(rate limit, circuit breaker), Wicket's admin API, and a private admin listener.",
            "The file is Wicket's sidecar YAML as it is; unknown keys are refused."
        })
final class GatewayCommand implements Callable<Integer> {

    @Option(
            names = "--config",
            required = true,
            paramLabel = "FILE",
            description = "The gateway's YAML file (Wicket's format; see docs/gateway.md)")
    private @Nullable Path config;

    @Option(names = "--check", description = "Read and check the file, print what it configures, and exit")
    private boolean check;

    private final Map<String, String> env;
    private final PrintWriter out;
    private final PrintWriter err;

    GatewayCommand(Map<String, String> env, PrintWriter out, PrintWriter err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        GatewayConfig gatewayConfig;
        try {
            gatewayConfig = GatewayConfig.read(requireNonNull(config, "--config is required"));
            Gateway.check(gatewayConfig);
        } catch (ConfigException e) {
            err.println("gatehouse gateway: bad configuration: " + Credentials.masked(e.getMessage()));
            return ServeCommand.BAD_CONFIG;
        }
        if (check) {
            out.println("gatehouse gateway: " + config + " is valid");
            printSummary(gatewayConfig);
            out.flush();
            return 0;
        }
        try {
            // the log as serve's: LOG_FORMAT and LOG_LEVEL from the environment
            LogSetup.apply(ResolvedSettings.resolve(LogSetup.SETTINGS, Optional.empty(), Map.of(), env));
        } catch (ConfigException e) {
            err.println("gatehouse gateway: bad configuration: " + e.getMessage());
            return ServeCommand.BAD_CONFIG;
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(gatewayConfig, Optional.of(requireNonNull(config)));
        } catch (ConfigException e) {
            err.println("gatehouse gateway: bad configuration: " + Credentials.masked(e.getMessage()));
            return ServeCommand.BAD_CONFIG;
        } catch (IllegalStateException e) {
            err.println("gatehouse gateway: " + Credentials.masked(e.getMessage()));
            return ServeCommand.CANNOT_START;
        }
        out.printf(
                "gatehouse %s gateway, ready %d ms after the JVM started%n",
                VersionCommand.version(), ManagementFactory.getRuntimeMXBean().getUptime());
        out.printf(
                "  proxy     http://%s:%d  -> %s  (admin API under %s)%n",
                gatewayConfig.listen().host(), gateway.port(), gatewayConfig.upstream(), gatewayConfig.adminPrefix());
        out.printf(
                "  admin     http://%s:%d  (/metrics, /healthz, /readyz, /queue, /queue/advance, /queue/open)%n",
                gatewayConfig.adminListen().host(), gateway.adminPort());
        printSummary(gatewayConfig);
        out.flush();
        return Stop.awaitStop(gateway);
    }

    /** One line per stage of the pipeline and component of the admin API, on or off. */
    private void printSummary(GatewayConfig c) {
        out.printf(
                "  rate      %s%n",
                c.rateLimit()
                        .map(r -> r.rps() + " requests/s per client, burst " + r.burst() + ", key "
                                + c.identity().source().name().toLowerCase(java.util.Locale.ROOT))
                        .orElse("off"));
        out.printf(
                "  breaker   %s%n",
                c.circuitBreaker()
                        .map(b -> "trips at failure ratio " + b.failureRatio() + " over " + b.minSamples()
                                + " samples, cooldown " + b.cooldown().toMillis() + " ms")
                        .orElse("off"));
        out.printf(
                "  pow       %s%n",
                c.pow().enabled()
                        ? c.pow().algorithm() + ", difficulty " + c.pow().baseDifficulty() + ".."
                                + c.pow().maxDifficulty() + " bits"
                        : "off");
        out.printf(
                "  queue     %s%n",
                c.queue()
                        .map(q -> q.drawn()
                                ? q.type() + ": a pre-queue until POST /queue/open draws its order"
                                        + (q.beacon() == null ? "" : " (with a beacon round, then /queue/reveal)")
                                : q.type())
                        .orElse("off"));
        out.printf("  tokens    %s%n", c.admission().required() ? "required to enqueue" : "off");
        out.printf(
                "  store     %s%n", c.store().redis() ? "Redis at " + c.store().redisAddr() + " (shared)" : "memory");
    }
}
