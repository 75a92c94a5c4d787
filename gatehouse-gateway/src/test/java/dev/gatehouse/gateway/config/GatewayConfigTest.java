package dev.gatehouse.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.gateway.config.GatewayConfig.Identity;
import dev.gatehouse.http.settings.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Wicket's sidecar file, read as Wicket reads it, and refused where Wicket silently ignores. */
final class GatewayConfigTest {

    /** Wicket's README example, as it is (comments and all). */
    static final String WICKET_EXAMPLE = """
            listen: :8080
            upstream: http://backend:3000
            timeouts:
              # All values default to a safe non-zero. Set to -1 to disable
              # an individual timeout.
              read_header: 5s
              read: 30s
              write: 30s
              idle: 120s
              upstream_dial: 5s
              upstream_response: 30s
              upstream_keepalive: 90s
              upstream_max_conns: 512
            pow:
              enabled: true
              base_difficulty: 16
              max_difficulty: 24
            queue:
              type: fifo
            rate_limit:
              rps: 100
              # idle_ttl: 10m
            circuit_breaker:
              failure_ratio: 0.5
              min_samples: 20
              cooldown: 30s
              half_open_max: 3
              # consecutive_failures: 50
            store:
              backend: memory # or "redis"
            metrics:
              enabled: true
            tracing:
              enabled: false
              otlp_http_endpoint: http://otel-collector:4318
              service_name: wicket
              sampling_ratio: 0.01
            """;

    @Test
    void readsWicketsExampleAsItIs() {
        GatewayConfig config = GatewayConfig.parse(WICKET_EXAMPLE);

        assertThat(config.listen()).isEqualTo(new GatewayConfig.HostPort("0.0.0.0", 8080));
        assertThat(config.upstream()).hasToString("http://backend:3000");
        assertThat(config.timeouts().readHeader()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.timeouts().upstreamMaxConns()).isEqualTo(512);
        assertThat(config.pow().enabled()).isTrue();
        assertThat(config.pow().baseDifficulty()).isEqualTo(16);
        assertThat(config.pow().maxDifficulty()).isEqualTo(24);
        assertThat(config.queue()).hasValueSatisfying(q -> assertThat(q.type()).isEqualTo("fifo"));
        assertThat(config.rateLimit()).hasValueSatisfying(r -> {
            assertThat(r.rps()).isEqualTo(100);
            assertThat(r.burst()).as("burst defaults to rps").isEqualTo(100);
            assertThat(r.idleTtl()).isEqualTo(Duration.ofMinutes(10));
            assertThat(r.sweepInterval()).as("idle_ttl / 10, at most 1m").isEqualTo(Duration.ofMinutes(1));
        });
        assertThat(config.circuitBreaker()).hasValueSatisfying(b -> {
            assertThat(b.failureRatio()).isEqualTo(0.5);
            assertThat(b.minSamples()).isEqualTo(20);
            assertThat(b.cooldown()).isEqualTo(Duration.ofSeconds(30));
            assertThat(b.halfOpenMax()).isEqualTo(3);
            assertThat(b.window()).isEqualTo(Duration.ofSeconds(10));
            assertThat(b.windowBuckets()).isEqualTo(10);
        });
        assertThat(config.adminPrefix()).isEqualTo("/__gatehouse__/");
        assertThat(config.adminListen()).isEqualTo(new GatewayConfig.HostPort("127.0.0.1", 9090));
    }

    @Test
    void eventLoops_areGatehousesOwnKey_oneAPerCpuByDefault() {
        assertThat(GatewayConfig.parse("upstream: http://backend:3000\n").eventLoops())
                .isZero();
        assertThat(GatewayConfig.parse("upstream: http://backend:3000\nevent_loops: 2\n")
                        .eventLoops())
                .isEqualTo(2);
    }

    @Test
    void wicketsDefaultsFillWhatIsMissing() {
        GatewayConfig config = GatewayConfig.parse("upstream: http://backend:3000\n");

        assertThat(config.listen().port()).isEqualTo(8080);
        assertThat(config.timeouts())
                .isEqualTo(new GatewayConfig.Timeouts(
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(120),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(90),
                        512,
                        Duration.ofSeconds(60)));
        assertThat(config.pow().enabled()).isFalse();
        assertThat(config.queue()).as("no type, no queue").isEmpty();
        assertThat(config.rateLimit()).as("no rps, no limiter").isEmpty();
        assertThat(config.circuitBreaker())
                .as("no ratio and no min_samples, no breaker")
                .isEmpty();
        assertThat(config.store().redis()).isFalse();
        assertThat(config.admission().required()).isFalse();
        assertThat(config.identity().source()).isEqualTo(Identity.Source.REMOTE_ADDRESS);
    }

    @Test
    void zeroMeansTheDefaultAndANegativeDurationTurnsATimeoutOff() {
        GatewayConfig config = GatewayConfig.parse("""
                upstream: http://backend:3000
                timeouts:
                  read_header: 0s
                  read: -1s
                  idle: "0"
                  upstream_response: -1ns
                  upstream_max_conns: -1
                  upstream_read: -1s
                """);

        assertThat(config.timeouts().readHeader()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.timeouts().read()).isEqualTo(Duration.ZERO);
        assertThat(config.timeouts().idle()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.timeouts().upstreamResponse()).isEqualTo(Duration.ZERO);
        assertThat(config.timeouts().upstreamMaxConns()).isEqualTo(512);
        assertThat(config.timeouts().upstreamRead()).isEqualTo(Duration.ZERO);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "timeouts: {read: 5}|timeouts.read: 5 has no unit",
                "timeouts: {read: -1}|timeouts.read: -1 has no unit",
                "timeouts: {read: '30'}|timeouts.read: \"30\" is not a duration: a unit is missing",
                "timeouts: {read: 5d}|unknown unit \"d\"",
                "rate_limit: {bogus: 1}|rate_limit.bogus: unknown key",
                "rate_limit: {rps: fast}|rate_limit.rps: \"fast\" is not a number",
                "bogus: 1|bogus: unknown key",
                "circuit_breaker: {failure_ratio: 0.5, min_sample: 2}|circuit_breaker.min_sample: unknown key",
                "metrics: true|metrics: \"true\" is not a mapping",
                "store: {backend: etcd}|store.backend: unknown value \"etcd\" (expected one of: memory, redis)",
                "store: {backend: redis}|store.redis.addr: required",
                "pow: {algorithm: scrypt}|pow.algorithm: unknown value \"scrypt\"",
                "queue: {type: lifo}|queue.type: unknown value \"lifo\"",
                "queue: {type: ecvrf, vrf_key: abc}|queue.vrf_key: 64 hex characters (a 32-byte secret)",
                "queue: {type: vrf, signing_key: 1}|queue.signing_key: 64 hex characters (a 32-byte secret)",
                "queue: {type: vrf, vrf_key: abababababababababababababababababababababababababababababababab, signing_key: abababababababababababababababababababababababababababababababab}|queue.signing_key: the same as vrf_key",
                "queue: {type: vrf, room: \"\"}|queue.room: 1 to 128 characters, no U+0000",
                "queue: {type: vrf, beacon: {chain: d, period: 3s}}|queue.beacon.genesis_time: required",
                "queue: {type: vrf, beacon: {genesis_time: 1, period: 3s}}|queue.beacon.chain: the beacon's name",
                "queue: {type: vrf, beacon: {chain: d, genesis_time: 1, period: 1500ms}}|queue.beacon.period: whole seconds",
                "queue: {type: vrf, beacon: {chain: d, genesis_time: 1, period: 3s, x: 1}}|queue.beacon.x: unknown key",
                "tracing: {enabled: true}|tracing.otlp_http_endpoint: required",
                "tracing: {enabled: true, otlp_http_endpoint: 'collector:4318'}|tracing.otlp_http_endpoint:"
                        + " \"collector:4318\" is not an http(s) URL",
                "pow: {enabled: maybe}|pow.enabled: \"maybe\" is not true or false",
                "admission: {secret: short}|admission.secret: shorter than 32 bytes",
                "identity: {from: header}|identity.name: required with from: header",
                "admission: {protect: [/shop]}|admission.protect: protected paths are entered with a cookie earned",
                "admission: {protect: shop}|admission.protect: \"shop\" is not a path prefix",
                "adaptive: {enabled: true, min_limit: 50, max_limit: 10}|adaptive.initial_limit: min_limit <="
                        + " initial_limit <= max_limit",
                "admin_prefix: /admin|admin_prefix: \"/admin\" must start and end with /",
                "listen: '8080'|listen: \"8080\" is not host:port",
                "listen: ':99999'|listen: port 99999 is out of range",
                "event_loops: -1|event_loops:",
                "event_loops: 2.5|event_loops:",
            })
    void refusesABadValueNamingItsKey(String yaml, String message) {
        assertThatThrownBy(() -> GatewayConfig.parse("upstream: http://backend:3000\n" + yaml.replace("\\n", "\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|upstream: required",
                "upstream: ftp://backend|is not an http(s) URL",
                "upstream: tcp://backend:3000|is not an http(s) URL",
                "upstream: 'http://'|upstream:",
                "upstream: http://backend?x=1|has a query",
            })
    void refusesAMissingOrNonHttpUpstream(String yaml, String message) {
        assertThatThrownBy(() -> GatewayConfig.parse(yaml))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void readsWhatWicketDocumentsButNeverReads() {
        GatewayConfig config = GatewayConfig.parse("""
                upstream: http://backend:3000
                rate_limit: {rps: 10, max_sweep_batch: 500}
                circuit_breaker: {consecutive_failures: 50}
                """);

        assertThat(config.rateLimit().orElseThrow().maxSweepBatch()).isEqualTo(500);
        assertThat(config.circuitBreaker().orElseThrow().consecutiveFailures()).isEqualTo(50);
    }

    @Test
    void argon2DifficultyIsCountedInZeroBytesAsWicketCountsIt() {
        GatewayConfig config = GatewayConfig.parse("""
                upstream: http://backend:3000
                pow: {enabled: true, algorithm: argon2id}
                """);

        assertThat(config.pow().baseDifficulty()).as("2 zero bytes").isEqualTo(16);
        assertThat(config.pow().maxDifficulty()).as("4 zero bytes").isEqualTo(32);
        assertThat(config.pow().argon2MemoryKib()).isEqualTo(19_456);
    }

    @Test
    void aMaximumBelowTheBaseIsRaisedAsWicketRaisesIt() {
        GatewayConfig config = GatewayConfig.parse("""
                upstream: http://backend:3000
                pow: {enabled: true, base_difficulty: 20, max_difficulty: 10}
                """);

        assertThat(config.pow().maxDifficulty()).isEqualTo(28);
    }

    @Test
    void yamlBooleansAsGoReadsThem() {
        assertThat(GatewayConfig.parse("upstream: http://b\npow: {enabled: yes}\n")
                        .pow()
                        .enabled())
                .isTrue();
        assertThat(GatewayConfig.parse("upstream: http://b\npow: {enabled: off}\n")
                        .pow()
                        .enabled())
                .isFalse();
    }

    @Test
    void readsAFileAndNamesItInItsMessages(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gateway.yml");
        Files.writeString(file, "upstream: http://backend:3000\nrate_limit: {bogus: 1}\n");

        assertThatThrownBy(() -> GatewayConfig.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": rate_limit.bogus: unknown key (expected one of: rps, burst, idle_ttl,"
                        + " sweep_interval, max_sweep_batch)");
        assertThatThrownBy(() -> GatewayConfig.read(dir.resolve("missing.yml"))).hasMessageEndingWith("no such file");
        Files.writeString(file, "upstream: [unclosed\n");
        assertThatThrownBy(() -> GatewayConfig.read(file)).hasMessageContaining("not YAML at line");
    }
}
