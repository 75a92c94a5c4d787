package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.settings.Setting;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @ParameterizedTest
    @ValueSource(strings = {"--help", "serve --help", "gateway --help", "version --help", "help serve"})
    void help_isOfferedOnEveryCommand(String args) {
        assertThat(run(Map.of(), args.split(" "))).isZero();
        assertThat(out.toString()).contains("Usage: gatehouse");
    }

    @Test
    void serveHelp_listsGoccFlagsWithTheirEnvironmentVariables() {
        run(Map.of(), "serve", "--help");

        assertThat(out.toString())
                .contains("-m, --max-requests", "MAX_REQUESTS", "--max-requests-in-queue", "-w, --window-millis")
                .contains("-r, --requests-can-set-rate", "--requests-can-mod-queue", "-c, --config-file")
                .contains("-p, --port", "-l, --log-format", "--log-level", "--log2xx", "--log4xx", "--log5xx");
    }

    @Test
    void docs_settingsTable_isExactlyTheDeclaredSettings() throws IOException {
        List<String> documented = Files.readString(Path.of("..", "docs", "server.md"))
                .lines()
                .filter(line -> line.matches("\\| `[a-z]+\\.[a-z0-9.-]+` \\|.*"))
                .toList();
        List<String> declared =
                ServeCommand.SETTINGS.stream().map(CliTest::tableRow).toList();

        assertThat(documented)
                .as("docs/server.md settings table; expected rows:%n%s", String.join("\n", declared))
                .containsExactlyInAnyOrderElementsOf(declared);
    }

    private static String tableRow(Setting<?> setting) {
        return "| `" + setting.path() + "` | "
                + setting.flags().stream().map(flag -> "`" + flag + "`").collect(Collectors.joining(", "))
                + " | "
                + Stream.concat(Stream.of(setting.env()), setting.envAliases().stream())
                        .map(env -> "`" + env + "`")
                        .collect(Collectors.joining(", "))
                + " | "
                + (setting.defaultText().isEmpty() ? "(none)" : "`" + setting.defaultText() + "`")
                + " | " + setting.doc() + " |";
    }

    @Test
    void badStoreSettings_exitNonZeroNamingTheField() {
        assertThat(run(Map.of(), "serve", "--store", "etcd", "--print-config")).isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("store.type: \"etcd\" from --store (expected: one of memory, redis)");
        assertThat(run(Map.of(), "serve", "--redis-url", "localhost:6379", "--print-config"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString())
                .contains(
                        "store.redis-url: \"localhost:6379\" from --redis-url (expected: redis:// or rediss:// URLs)");
    }

    @Test
    void credentials_areMaskedInPrintedConfigAndErrors() {
        assertThat(run(Map.of("GATEHOUSE_REDIS_URL", "redis://user:s3cret@cache:6379"), "serve", "--print-config"))
                .isZero();
        assertThat(out.toString()).contains("redis://user:***@cache:6379").doesNotContain("s3cret");

        assertThat(run(
                        Map.of(
                                "DATABASE_URL",
                                "jdbc:postgresql://db/app?user=u&password=s3cret",
                                "JWT_SECRET",
                                "x".repeat(40)),
                        "serve",
                        "--print-config"))
                .isZero();
        assertThat(out.toString())
                .contains("jdbc:postgresql://db/app?user=u&password=***")
                .doesNotContain("s3cret");

        assertThat(run(Map.of(), "serve", "--redis-url", "redis://:s3cret@bad host:1", "--print-config"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("redis://:***@").doesNotContain("s3cret");
    }

    @Test
    void configFileThatIsNoPath_exitsNonZeroNamingIt() {
        assertThat(run(Map.of("CONFIG_FILE", "keys\u0000.json"), "serve", "--print-config"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("rate.config-file: ", "from env CONFIG_FILE (expected: a file path)");
    }

    @Test
    void goccFlagsWithoutASubcommand_meanServe() {
        assertThat(Cli.withDefaultCommand(new String[] {"-m", "10", "--print-config"}))
                .containsExactly("serve", "-m", "10", "--print-config");
        assertThat(run(Map.of(), "-m", "10", "--print-config")).isZero();
        assertThat(out.toString()).contains("max-requests: 10");
        assertThat(Cli.withDefaultCommand(new String[] {})).isEmpty();
        assertThat(Cli.withDefaultCommand(new String[] {"--help"})).containsExactly("--help");
        assertThat(Cli.withDefaultCommand(new String[] {"version"})).containsExactly("version");
    }

    @Test
    void goccRemovedSettings_eachGetAWarningSayingWhatToDoInstead() {
        picocli.CommandLine commandLine = Cli.commandLine(
                Map.of("SERVER_TYPE", "fast", "LOG_INCLUDES_SOURCE", ""), new PrintWriter(out), new PrintWriter(err));
        commandLine.parseArgs("serve", "-i", "http://a:8080,http://b:8080");
        ServeCommand serve = commandLine.getSubcommands().get("serve").getCommand();

        assertThat(serve.goccSettingWarnings())
                .hasSize(2)
                .anySatisfy(w -> assertThat(w).startsWith("INSTANCE_URLS").contains("--store redis"))
                .anySatisfy(w -> assertThat(w).startsWith("SERVER_TYPE"));
    }

    @Test
    void goccRemovedSettings_areAccepted() {
        assertThat(run(
                        Map.of("INSTANCE_URLS", "http://a:8080,http://b:8080", "SERVER_TYPE", "fast"),
                        "serve",
                        "-i",
                        "http://a:8080",
                        "--server-type",
                        "echo",
                        "--log-includes-source",
                        "--print-config"))
                .isZero();
    }

    @Test
    void version_printsTheVersion() {
        assertThat(run(Map.of(), "version")).isZero();
        assertThat(out.toString()).startsWith("gatehouse ");
    }

    @Test
    void badFlagValue_exitsNonZeroNamingTheField() {
        assertThat(run(Map.of(), "serve", "--port", "http", "--print-config")).isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("rate.port: \"http\" from --port (expected: an integer in 0..65535)");
    }

    @Test
    void outOfRangeValue_exitsNonZeroNamingTheField() {
        assertThat(run(Map.of("MAX_REQUESTS", "0"), "serve", "--print-config")).isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString())
                .contains("rate.max-requests: \"0\" from env MAX_REQUESTS (expected: an integer in 1..1000000000)");
    }

    @Test
    void unknownYamlKey_isRejected() throws IOException {
        Path yaml = write("rate:\n  max-request: 5\n");

        assertThat(run(Map.of(), "serve", "--config", yaml.toString(), "--print-config"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("rate.max-request: unknown key");
    }

    @Test
    void unknownYamlSection_isRejected() throws IOException {
        Path yaml = write("store: redis\n");

        assertThat(run(Map.of(), "serve", "--config", yaml.toString(), "--print-config"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("store: unknown key or not a section");
    }

    @Test
    void gatewayCheck_readsWicketsFileAndSaysWhatItConfigures() throws IOException {
        Path yaml = write("listen: :8080\nupstream: http://backend:3000\nrate_limit:\n  rps: 100\n");

        assertThat(run(Map.of(), "gateway", "--config", yaml.toString(), "--check"))
                .isZero();
        assertThat(out.toString())
                .contains("is valid")
                .contains("rate      100.0 requests/s per client, burst 100.0, key remote_address")
                .contains("breaker   off");
    }

    @Test
    void gatewayCheck_saysADrawnQueueWaitsForItsOpen() throws IOException {
        Path yaml = write("upstream: http://backend:3000\nqueue: {type: vrf, seed: wicket-seed,"
                + " beacon: {chain: quicknet, genesis_time: 1692803367, period: 3s}}\n");

        assertThat(run(Map.of(), "gateway", "--config", yaml.toString(), "--check"))
                .isZero();
        assertThat(out.toString())
                .contains("queue     vrf: a pre-queue until POST /queue/open draws its order (with a beacon round,"
                        + " then /queue/reveal)");
    }

    @Test
    void gatewayWithABadFile_exitsNonZeroNamingTheFileAndTheKey() throws IOException {
        Path yaml = write("upstream: http://backend:3000\nrate_limit:\n  rps: 100\n  bogus: 1\n");

        assertThat(run(Map.of(), "gateway", "--config", yaml.toString())).isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString())
                .startsWith("gatehouse gateway: bad configuration: " + yaml + ": rate_limit.bogus: unknown key");
    }

    @Test
    void gatewayCheck_refusesAStageThatCannotBeBuilt() throws IOException {
        Path yaml = write("upstream: http://backend:3000\ncircuit_breaker:\n  failure_ratio: 0.0000001\n");

        assertThat(run(Map.of(), "gateway", "--config", yaml.toString(), "--check"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("bad configuration: circuit_breaker: failureRatio");
    }

    @Test
    void gatewayWithABareNumberForADuration_saysToAddAUnit() throws IOException {
        Path yaml = write("upstream: http://backend:3000\ntimeouts:\n  read: 30\n");

        assertThat(run(Map.of(), "gateway", "--config", yaml.toString())).isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("timeouts.read: 30 has no unit (expected: a duration such as 30s or 30ms");
    }

    @Test
    void missingYamlFile_isNamed() {
        assertThat(run(Map.of(), "serve", "--config", dir.resolve("nope.yml").toString(), "--print-config"))
                .isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("nope.yml: file not found");
    }

    @Test
    void flagsOverrideEnvironmentWhichOverridesYamlWhichOverridesDefaults() throws IOException {
        Path yaml = write("rate:\n  port: 1000\n  max-requests: 11\n  window-millis: 500\nlog:\n  level: warn\n");
        Map<String, String> env = Map.of("PORT", "2000", "MAX_REQUESTS", "22", "GATEHOUSE_CONFIG", yaml.toString());

        assertThat(run(env, "serve", "--port", "3000", "--print-config")).isZero();

        assertThat(out.toString())
                .contains("  port: 3000  # --port")
                .contains("  max-requests: 22  # env MAX_REQUESTS")
                .contains("  window-millis: 500  # config " + yaml)
                .contains("  max-requests-in-queue: 400  # default")
                .contains("  level: warn  # config " + yaml);
    }

    @Test
    void booleanFlags_aloneMeanTrue_andTakeGoccSpellings() {
        assertThat(run(Map.of("LOG_5XX", "F"), "serve", "--log2xx", "-r=false", "--print-config"))
                .isZero();

        assertThat(out.toString())
                .contains("  log2xx: true  # --log2xx")
                .contains("  log5xx: F  # env LOG_5XX")
                .contains("  requests-can-set-rate: false  # --requests-can-set-rate");
    }

    @Test
    void badKeyConfigFile_exitsNonZeroNamingIt() throws IOException {
        Path keys = write("{\"keys\": [{\"key_pattern\": \"a\", \"window_millis\": -1}]}");

        int exit = run(
                Map.of(),
                "serve",
                "--port=0",
                "--admin-port=0",
                "--host=127.0.0.1",
                "--log-level=ERROR",
                "--config-file",
                keys.toString());

        assertThat(exit).isEqualTo(ServeCommand.BAD_CONFIG);
        assertThat(err.toString()).contains("rate.config-file: ").contains("keys[0].window_millis: -1");
    }

    private Path write(String text) throws IOException {
        Path file = Files.createTempFile(dir, "config", ".yml");
        Files.writeString(file, text);
        return file;
    }

    private int run(Map<String, String> env, String... args) {
        return Cli.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }
}
