package dev.gatehouse.server.rate;

import dev.gatehouse.http.Surface;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.ClientPermissions;
import dev.gatehouse.rate.RateLimits;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of the rate surface, with gocc's names for gocc's (environment variables and flags
 * as gocc spells them): where it listens, the default limits, what clients may override, the key
 * config file, the key bounds, where {@code /debug} answers, and how its state lives in a shared
 * store.
 */
public record RateSettings(
        Surface.Address address,
        RateLimits defaults,
        ClientPermissions permissions,
        Optional<Path> configFile,
        long reloadIntervalMillis,
        int maxKeys,
        int debugMaxKeys,
        DebugListener debugListener,
        String storeKeyPrefix,
        Degrade degrade,
        int nodes,
        int denyCacheKeys) {

    /** Where {@code /debug} and {@code /debug/{key}} answer. */
    public enum DebugListener {
        PUBLIC,
        ADMIN,
        OFF
    }

    /** What the rate service decides while the shared store does not answer. */
    public enum Degrade {
        FAIL_OPEN,
        FAIL_CLOSED,
        LOCAL
    }

    private static final long YEAR_MILLIS = 365L * 24 * 3600 * 1000;

    public static final Setting<String> HOST = Setting.text(
            "rate.host", "GATEHOUSE_HOST", "0.0.0.0", false, "Address the rate service listens on", "--host");
    public static final Setting<Integer> PORT = Setting.integer(
            "rate.port", "PORT", 8080, 0, 65_535, "Port of the rate service (0 picks a free one)", "--port", "-p");
    public static final Setting<Integer> MAX_REQUESTS = Setting.integer(
            "rate.max-requests",
            "MAX_REQUESTS",
            100,
            1,
            RateLimits.MAX_LIMIT,
            "Default max requests per window per key",
            "--max-requests",
            "-m");
    public static final Setting<Integer> MAX_REQUESTS_IN_QUEUE = Setting.integer(
            "rate.max-requests-in-queue",
            "MAX_REQUESTS_IN_QUEUE",
            400,
            0,
            RateLimits.MAX_LIMIT,
            "Default max requests waiting per key once its window is full",
            "--max-requests-in-queue");
    public static final Setting<Long> WINDOW_MILLIS = Setting.longInteger(
            "rate.window-millis",
            "WINDOW_MILLIS",
            1000,
            1,
            YEAR_MILLIS,
            "Default window length in milliseconds",
            "--window-millis",
            "-w");
    public static final Setting<Boolean> REQUESTS_CAN_SET_RATE = Setting.bool(
            "rate.requests-can-set-rate",
            "REQUESTS_CAN_SET_RATE",
            true,
            "Allow clients to set a key's rate with ?maxRequests=",
            "--requests-can-set-rate",
            "-r");
    public static final Setting<Boolean> REQUESTS_CAN_MOD_QUEUE = Setting.bool(
            "rate.requests-can-mod-queue",
            "REQUESTS_CAN_MOD_QUEUE",
            true,
            "Allow clients to set a key's queue size with ?maxRequestsInQueue=",
            "--requests-can-mod-queue");
    public static final Setting<String> CONFIG_FILE = Setting.text(
            "rate.config-file",
            "CONFIG_FILE",
            "",
            true,
            "JSON file of per-key limits, reloaded when it changes",
            "--config-file",
            "-c");
    public static final Setting<Long> RELOAD_INTERVAL_MILLIS = Setting.longInteger(
            "rate.reload-interval-millis",
            "GATEHOUSE_RELOAD_INTERVAL_MILLIS",
            1000,
            10,
            Long.MAX_VALUE / 1_000_000, // any interval whose nanoseconds fit a long
            "How often the key config file is checked for changes",
            "--reload-interval-millis");
    public static final Setting<Integer> MAX_KEYS = Setting.integer(
            "rate.max-keys",
            "GATEHOUSE_MAX_KEYS",
            1_000_000,
            1,
            Integer.MAX_VALUE,
            "Most keys kept at once; the least recently useful are evicted beyond it",
            "--max-keys");
    public static final Setting<Integer> MAX_KEY_BYTES = Setting.integer(
            "rate.max-key-bytes",
            "GATEHOUSE_MAX_KEY_BYTES",
            256,
            1,
            4096,
            "Longest key, in UTF-8 bytes",
            "--max-key-bytes");
    public static final Setting<Integer> DEBUG_MAX_KEYS = Setting.integer(
            "rate.debug-max-keys",
            "GATEHOUSE_DEBUG_MAX_KEYS",
            10_000,
            1,
            Integer.MAX_VALUE,
            "Most keys listed by one page of GET /debug",
            "--debug-max-keys");
    public static final Setting<DebugListener> DEBUG_LISTENER = Setting.choice(
            "rate.debug-listener",
            "GATEHOUSE_DEBUG_LISTENER",
            "public",
            Map.of("public", DebugListener.PUBLIC, "admin", DebugListener.ADMIN, "off", DebugListener.OFF),
            "Where /debug and /debug/{key} answer: public (with /rate, as gocc), admin (the private listener) or off",
            "--debug-listener");
    public static final Setting<String> STORE_KEY_PREFIX = Setting.text(
            "store.key-prefix",
            "GATEHOUSE_STORE_KEY_PREFIX",
            "gatehouse:rate:",
            true,
            "Prefix of every Redis key the rate service writes (no braces)",
            "--store-key-prefix");
    public static final Setting<Degrade> STORE_DEGRADE = Setting.choice(
            "store.degrade",
            "GATEHOUSE_STORE_DEGRADE",
            "local",
            Map.of("fail-open", Degrade.FAIL_OPEN, "fail-closed", Degrade.FAIL_CLOSED, "local", Degrade.LOCAL),
            "While Redis is down: fail-open (allow), fail-closed (deny) or local (each node enforces its share)",
            "--store-degrade");
    public static final Setting<Integer> STORE_NODES = Setting.integer(
            "store.nodes",
            "GATEHOUSE_STORE_NODES",
            1,
            1,
            10_000,
            "Nodes sharing the store; with store.degrade=local each enforces 1/nodes of every limit",
            "--store-nodes");
    public static final Setting<Integer> STORE_DENY_CACHE_KEYS = Setting.integer(
            "store.deny-cache-keys",
            "GATEHOUSE_STORE_DENY_CACHE_KEYS",
            100_000,
            0,
            Integer.MAX_VALUE,
            "Keys over their limit denied on this node until their retry time, without asking Redis (0: off)",
            "--store-deny-cache-keys");

    /** The settings of the rate surface, in the order {@code --help} and the docs list them. */
    public static final List<Setting<?>> SETTINGS = List.of(
            HOST,
            PORT,
            MAX_REQUESTS,
            MAX_REQUESTS_IN_QUEUE,
            WINDOW_MILLIS,
            REQUESTS_CAN_SET_RATE,
            REQUESTS_CAN_MOD_QUEUE,
            CONFIG_FILE,
            RELOAD_INTERVAL_MILLIS,
            MAX_KEYS,
            MAX_KEY_BYTES,
            DEBUG_MAX_KEYS,
            DEBUG_LISTENER,
            STORE_KEY_PREFIX,
            STORE_DEGRADE,
            STORE_NODES,
            STORE_DENY_CACHE_KEYS);

    /** The rate surface's settings from {@code settings}. */
    public static RateSettings from(ResolvedSettings settings) {
        String prefix = settings.get(STORE_KEY_PREFIX);
        if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            throw settings.invalid(STORE_KEY_PREFIX, "no braces");
        }
        String configFile = settings.get(CONFIG_FILE);
        Optional<Path> configPath;
        try {
            configPath = configFile.isEmpty() ? Optional.empty() : Optional.of(Path.of(configFile));
        } catch (InvalidPathException e) {
            throw settings.invalid(CONFIG_FILE, "a file path");
        }
        return new RateSettings(
                new Surface.Address(settings.get(HOST), settings.get(PORT)),
                RateLimits.of(
                        settings.get(MAX_REQUESTS),
                        settings.get(MAX_REQUESTS_IN_QUEUE),
                        settings.get(WINDOW_MILLIS),
                        Algorithm.FIXED_WINDOW),
                new ClientPermissions(
                        settings.get(REQUESTS_CAN_SET_RATE),
                        settings.get(REQUESTS_CAN_MOD_QUEUE),
                        settings.get(MAX_KEY_BYTES)),
                configPath,
                settings.get(RELOAD_INTERVAL_MILLIS),
                settings.get(MAX_KEYS),
                settings.get(DEBUG_MAX_KEYS),
                settings.get(DEBUG_LISTENER),
                prefix,
                settings.get(STORE_DEGRADE),
                settings.get(STORE_NODES),
                settings.get(STORE_DENY_CACHE_KEYS));
    }
}
