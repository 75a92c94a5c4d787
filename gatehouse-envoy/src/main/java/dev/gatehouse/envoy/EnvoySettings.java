package dev.gatehouse.envoy;

import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The settings of Envoy's rate-limit service, with envoyproxy/ratelimit's environment variables
 * where it has one: off until {@code envoy.config} names a descriptor file or a directory of them.
 *
 * @param config the descriptor file, or a directory of {@code .yaml} files (one domain each)
 * @param host the address the gRPC listener binds
 * @param port its port (0 picks a free one)
 * @param shadowMode never answer OVER_LIMIT overall ({@code SHADOW_MODE})
 * @param responseHeaders add {@code RateLimit-Limit}, {@code -Remaining} and {@code -Reset} to the
 *     answer ({@code LIMIT_RESPONSE_HEADERS_ENABLED})
 * @param reloadIntervalMillis how often the configuration is checked for changes
 * @param maxCounters the most window counters kept in memory (without Redis)
 * @param keyPrefix where the counters live in Redis
 */
public record EnvoySettings(
        Optional<Path> config,
        String host,
        int port,
        boolean shadowMode,
        boolean responseHeaders,
        long reloadIntervalMillis,
        int maxCounters,
        String keyPrefix) {

    public static final Setting<String> CONFIG = Setting.text(
            "envoy.config",
            "GATEHOUSE_ENVOY_CONFIG",
            "",
            true,
            "envoyproxy/ratelimit descriptor file, or a directory of them; turns on Envoy's rate-limit service (gRPC)",
            "--envoy-config");
    public static final Setting<String> HOST = Setting.text(
            "envoy.host",
            "GRPC_HOST",
            "0.0.0.0",
            false,
            "Address Envoy's rate-limit service listens on",
            "--grpc-host");
    public static final Setting<Integer> PORT = Setting.integer(
            "envoy.port",
            "GRPC_PORT",
            8081,
            0,
            65_535,
            "Port of Envoy's rate-limit service (gRPC; 0 picks a free one)",
            "--grpc-port");
    public static final Setting<Boolean> SHADOW_MODE = Setting.bool(
            "envoy.shadow-mode",
            "SHADOW_MODE",
            false,
            "Count and report, but never answer OVER_LIMIT overall",
            "--envoy-shadow-mode");
    public static final Setting<Boolean> RESPONSE_HEADERS = Setting.bool(
            "envoy.response-headers",
            "LIMIT_RESPONSE_HEADERS_ENABLED",
            false,
            "Add RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset to the answers Envoy sends",
            "--envoy-response-headers");
    public static final Setting<Long> RELOAD_INTERVAL_MILLIS = Setting.longInteger(
            "envoy.reload-interval-millis",
            "GATEHOUSE_ENVOY_RELOAD_INTERVAL_MILLIS",
            1_000,
            10,
            3_600_000,
            "How often the descriptor configuration is checked for changes",
            "--envoy-reload-interval-millis");
    public static final Setting<Integer> MAX_COUNTERS = Setting.integer(
            "envoy.max-counters",
            "GATEHOUSE_ENVOY_MAX_COUNTERS",
            1_000_000,
            1,
            100_000_000,
            "The most window counters kept in memory (without Redis); past it new ones are refused",
            "--envoy-max-counters");
    public static final Setting<String> KEY_PREFIX = Setting.text(
            "envoy.key-prefix",
            "GATEHOUSE_ENVOY_KEY_PREFIX",
            "gatehouse:envoy:",
            false,
            "Prefix of the counters' keys in Redis",
            "--envoy-key-prefix");

    /** Every setting of the service. */
    public static final List<Setting<?>> SETTINGS = List.of(
            CONFIG, HOST, PORT, SHADOW_MODE, RESPONSE_HEADERS, RELOAD_INTERVAL_MILLIS, MAX_COUNTERS, KEY_PREFIX);

    /** The service's settings in {@code settings}. */
    public static EnvoySettings from(ResolvedSettings settings) {
        String config = settings.get(CONFIG);
        return new EnvoySettings(
                config.isBlank() ? Optional.empty() : Optional.of(Path.of(config)),
                settings.get(HOST),
                settings.get(PORT),
                settings.get(SHADOW_MODE),
                settings.get(RESPONSE_HEADERS),
                settings.get(RELOAD_INTERVAL_MILLIS),
                settings.get(MAX_COUNTERS),
                settings.get(KEY_PREFIX));
    }
}
