package dev.gatehouse.cli;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.http.settings.Setting;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code gatehouse} command line: {@code serve}, {@code gateway}, {@code tenants}, {@code verify} and {@code
 * version}, each with
 * {@code --help}.
 */
@Command(
        name = "gatehouse",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.class,
        description =
                "Self-hosted admission control: a rate-limit service and waiting room (serve), a sidecar gateway (gateway),"
                        + " the waiting room's tenants, and an offline check of a fair draw (verify).",
        subcommands = {CommandLine.HelpCommand.class})
public final class Cli implements Runnable {

    private static final Set<String> TOP_LEVEL_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    @CommandLine.Spec
    private CommandSpec spec;

    /**
     * Runs the command line {@code args} with environment {@code env} and returns the exit code;
     * {@code serve} returns only once the server has been stopped.
     */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        return commandLine(env, out, err).execute(withDefaultCommand(args));
    }

    /**
     * gocc serves when started with flags and no subcommand, so {@code gatehouse -m 10 -p 9000} is
     * {@code gatehouse serve -m 10 -p 9000}; no arguments at all, help and version stay as they are.
     */
    static String[] withDefaultCommand(String[] args) {
        if (args.length == 0 || !args[0].startsWith("-") || TOP_LEVEL_OPTIONS.contains(args[0])) {
            return args;
        }
        String[] serve = new String[args.length + 1];
        serve[0] = "serve";
        System.arraycopy(args, 0, serve, 1, args.length);
        return serve;
    }

    /** The command tree, with every setting of {@code serve} as a flag of it. */
    static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new Cli())
                .addSubcommand("serve", new ServeCommand(env, out, err))
                .addSubcommand("gateway", new GatewayCommand(env, out, err))
                .addSubcommand("tenants", new TenantsCommand(env, out, err))
                .addSubcommand("verify", new VerifyCommand(out))
                .addSubcommand("version", new VersionCommand());
        TenantsCommand.addDatabaseOption(
                requireNonNull(commandLine.getSubcommands().get("tenants")));
        CommandSpec serve = requireNonNull(commandLine.getSubcommands().get("serve")) // added just above
                .getCommandSpec();
        for (Setting<?> setting : ServeCommand.SETTINGS) {
            OptionSpec.Builder option = OptionSpec.builder(setting.flags().toArray(String[]::new))
                    .type(String.class)
                    .paramLabel(setting.isBoolean() ? "BOOL" : "VALUE")
                    .description(setting.doc() + " (env: " + setting.env() + ", yaml: " + setting.path()
                            + ", default: " + (setting.defaultText().isEmpty() ? "none" : setting.defaultText())
                            + ")");
            if (setting.isBoolean()) {
                option.arity("0..1").fallbackValue("true");
            }
            serve.addOption(option.build());
        }
        commandLine.setOut(out).setErr(err);
        return commandLine;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
