package dev.gatehouse.http.config;

import dev.gatehouse.core.check.Require;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The validated configuration of {@code gatehouse serve}, one record per section of the YAML file.
 * Every value is checked when the record is made; a bad one names its setting.
 */
public record ServerConfig(Rate rate, Store store, Admin admin, Log log, Http http) {

    /** The largest per-window maximum and queue size, as in gocc. */
    public static final int MAX_LIMIT = 1_000_000_000;

    /** The rate service: where it listens and the limits of keys no pattern and no client configures. */
    public record Rate(
            String host,
            int port,
            int maxRequests,
            int maxRequestsInQueue,
            long windowMillis,
            boolean requestsCanSetRate,
            boolean requestsCanModQueue,
            Optional<Path> configFile,
            long reloadIntervalMillis,
            int maxKeys,
            int maxKeyBytes,
            int debugMaxKeys,
            DebugListener debugListener) {
        public Rate {
            Require.given("rate.host", host, "an address");
            Require.inRange("rate.port", port, 0, 65_535);
            Require.inRange("rate.max-requests", maxRequests, 1, MAX_LIMIT);
            Require.inRange("rate.max-requests-in-queue", maxRequestsInQueue, 0, MAX_LIMIT);
            Require.inRange("rate.window-millis", windowMillis, 1, 365L * 24 * 3600 * 1000);
            Require.given("rate.config-file", configFile, "a path or empty");
            Require.atLeast("rate.reload-interval-millis", reloadIntervalMillis, 10);
            Require.atLeast("rate.max-keys", maxKeys, 1);
            Require.inRange("rate.max-key-bytes", maxKeyBytes, 1, 4096);
            Require.atLeast("rate.debug-max-keys", debugMaxKeys, 1);
            Require.given("rate.debug-listener", debugListener, "public, admin or off");
        }
    }

    /**
     * Where the rate service keeps limits. {@code redisUrls} holds one URL, or the seed nodes of a
     * cluster; the other fields matter only for {@link StoreType#REDIS}.
     */
    public record Store(
            StoreType type,
            List<String> redisUrls,
            boolean redisCluster,
            String keyPrefix,
            long commandTimeoutMillis,
            Degrade degrade,
            int nodes,
            long probeIntervalMillis,
            int denyCacheKeys) {
        public Store {
            Require.given("store.type", type, "memory or redis");
            Require.given("store.redis-url", redisUrls, "a redis:// URL");
            if (redisUrls.isEmpty() || !redisUrls.stream().allMatch(Store::isRedisUrl)) {
                throw new IllegalArgumentException(
                        "store.redis-url: " + String.join(",", redisUrls) + " (expected: redis:// or rediss:// URLs)");
            }
            if (!redisCluster && redisUrls.size() > 1) {
                throw new IllegalArgumentException("store.redis-url: " + redisUrls.size()
                        + " URLs (expected: one, or set store.redis-cluster for a cluster's nodes)");
            }
            Require.given("store.key-prefix", keyPrefix, "a prefix");
            if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
                throw new IllegalArgumentException("store.key-prefix: " + keyPrefix + " (expected: no braces)");
            }
            Require.inRange("store.command-timeout-millis", commandTimeoutMillis, 1, 60_000);
            Require.given("store.degrade", degrade, "fail-open, fail-closed or local");
            Require.inRange("store.nodes", nodes, 1, 10_000);
            Require.inRange("store.probe-interval-millis", probeIntervalMillis, 10, 600_000);
            Require.atLeast("store.deny-cache-keys", denyCacheKeys, 0);
        }

        private static boolean isRedisUrl(String url) {
            try {
                URI uri = new URI(url);
                return (url.startsWith("redis://") || url.startsWith("rediss://")) && uri.getHost() != null;
            } catch (URISyntaxException e) {
                return false;
            }
        }

        /** The Redis hosts and ports, without user names or passwords, for logs and messages. */
        public String redisAddresses() {
            return redisUrls.stream()
                    .map(URI::create)
                    .map(uri -> uri.getHost() + ":" + (uri.getPort() == -1 ? 6379 : uri.getPort()))
                    .collect(Collectors.joining(","));
        }
    }

    /** Where limits live. */
    public enum StoreType {
        MEMORY,
        REDIS
    }

    /** What the rate service decides while Redis does not answer. */
    public enum Degrade {
        FAIL_OPEN,
        FAIL_CLOSED,
        LOCAL
    }

    /** The private listener for metrics and health checks. */
    public record Admin(String host, int port) {
        public Admin {
            Require.given("admin.host", host, "an address");
            Require.inRange("admin.port", port, 0, 65_535);
        }
    }

    /** Log lines: their format, level and which access-log lines are written. */
    public record Log(LogFormat format, String level, boolean log2xx, boolean log4xx, boolean log5xx) {}

    /**
     * Bounds on what a client may send and how long it may take, the connection cap, and the graceful
     * shutdown bound; each listener applies them on its own (the cap counts per listener).
     */
    public record Http(
            int maxHeaderBytes,
            int maxInitialLineBytes,
            int maxBodyBytes,
            int maxConcurrentStreams,
            int maxConnections,
            long headerTimeoutMillis,
            long bodyTimeoutMillis,
            long writeTimeoutMillis,
            long idleTimeoutMillis,
            long shutdownTimeoutMillis,
            long shutdownDelayMillis) {
        public Http {
            Require.inRange("http.max-header-bytes", maxHeaderBytes, 1024, 1 << 20);
            Require.inRange("http.max-initial-line-bytes", maxInitialLineBytes, 256, 1 << 20);
            Require.inRange("http.max-body-bytes", maxBodyBytes, 0, 1 << 30);
            Require.inRange("http.max-concurrent-streams", maxConcurrentStreams, 1, 1 << 20);
            Require.inRange("http.max-connections", maxConnections, 1, 1 << 24);
            Require.inRange("http.header-timeout-millis", headerTimeoutMillis, 10, 3_600_000);
            Require.inRange("http.body-timeout-millis", bodyTimeoutMillis, 10, 3_600_000);
            Require.inRange("http.write-timeout-millis", writeTimeoutMillis, 10, 3_600_000);
            Require.inRange("http.idle-timeout-millis", idleTimeoutMillis, 10, 3_600_000);
            Require.inRange("http.shutdown-timeout-millis", shutdownTimeoutMillis, 0, 600_000);
            Require.inRange("http.shutdown-delay-millis", shutdownDelayMillis, 0, 600_000);
        }
    }

    /** Where the rate service's /debug routes answer. */
    public enum DebugListener {
        PUBLIC,
        ADMIN,
        OFF
    }

    /** How log lines are written. */
    public enum LogFormat {
        JSON,
        TEXT
    }

    /** Builds and validates the configuration from resolved settings. */
    public static ServerConfig from(ResolvedSettings settings) {
        try {
            String configFile = settings.text(Setting.CONFIG_FILE);
            Rate rate = new Rate(
                    settings.text(Setting.RATE_HOST),
                    settings.intValue(Setting.RATE_PORT),
                    settings.intValue(Setting.MAX_REQUESTS),
                    settings.intValue(Setting.MAX_REQUESTS_IN_QUEUE),
                    settings.longValue(Setting.WINDOW_MILLIS),
                    settings.booleanValue(Setting.REQUESTS_CAN_SET_RATE),
                    settings.booleanValue(Setting.REQUESTS_CAN_MOD_QUEUE),
                    configFile.isEmpty() ? Optional.empty() : Optional.of(Path.of(configFile)),
                    settings.longValue(Setting.RELOAD_INTERVAL_MILLIS),
                    settings.intValue(Setting.MAX_KEYS),
                    settings.intValue(Setting.MAX_KEY_BYTES),
                    settings.intValue(Setting.DEBUG_MAX_KEYS),
                    debugListener(settings));
            Store store = new Store(
                    storeType(settings),
                    List.of(settings.text(Setting.REDIS_URL).split("\\s*,\\s*")),
                    settings.booleanValue(Setting.REDIS_CLUSTER),
                    settings.text(Setting.STORE_KEY_PREFIX),
                    settings.longValue(Setting.STORE_COMMAND_TIMEOUT_MILLIS),
                    degrade(settings),
                    settings.intValue(Setting.STORE_NODES),
                    settings.longValue(Setting.STORE_PROBE_INTERVAL_MILLIS),
                    settings.intValue(Setting.STORE_DENY_CACHE_KEYS));
            Admin admin = new Admin(settings.text(Setting.ADMIN_HOST), settings.intValue(Setting.ADMIN_PORT));
            Log log = new Log(
                    logFormat(settings),
                    logLevel(settings),
                    settings.booleanValue(Setting.LOG_2XX),
                    settings.booleanValue(Setting.LOG_4XX),
                    settings.booleanValue(Setting.LOG_5XX));
            Http http = new Http(
                    settings.intValue(Setting.MAX_HEADER_BYTES),
                    settings.intValue(Setting.MAX_INITIAL_LINE_BYTES),
                    settings.intValue(Setting.MAX_BODY_BYTES),
                    settings.intValue(Setting.MAX_CONCURRENT_STREAMS),
                    settings.intValue(Setting.MAX_CONNECTIONS),
                    settings.longValue(Setting.HEADER_TIMEOUT_MILLIS),
                    settings.longValue(Setting.BODY_TIMEOUT_MILLIS),
                    settings.longValue(Setting.WRITE_TIMEOUT_MILLIS),
                    settings.longValue(Setting.IDLE_TIMEOUT_MILLIS),
                    settings.longValue(Setting.SHUTDOWN_TIMEOUT_MILLIS),
                    settings.longValue(Setting.SHUTDOWN_DELAY_MILLIS));
            return new ServerConfig(rate, store, admin, log, http);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    private static StoreType storeType(ResolvedSettings settings) {
        return switch (settings.text(Setting.STORE).toLowerCase(Locale.ROOT)) {
            case "memory" -> StoreType.MEMORY;
            case "redis" -> StoreType.REDIS;
            default -> throw settings.invalid(Setting.STORE, "memory or redis");
        };
    }

    private static Degrade degrade(ResolvedSettings settings) {
        return switch (settings.text(Setting.STORE_DEGRADE).toLowerCase(Locale.ROOT)) {
            case "fail-open" -> Degrade.FAIL_OPEN;
            case "fail-closed" -> Degrade.FAIL_CLOSED;
            case "local" -> Degrade.LOCAL;
            default -> throw settings.invalid(Setting.STORE_DEGRADE, "fail-open, fail-closed or local");
        };
    }

    private static DebugListener debugListener(ResolvedSettings settings) {
        return switch (settings.text(Setting.DEBUG_LISTENER)) {
            case "public" -> DebugListener.PUBLIC;
            case "admin" -> DebugListener.ADMIN;
            case "off" -> DebugListener.OFF;
            default -> throw settings.invalid(Setting.DEBUG_LISTENER, "public, admin or off");
        };
    }

    private static LogFormat logFormat(ResolvedSettings settings) {
        return switch (settings.text(Setting.LOG_FORMAT).toLowerCase(Locale.ROOT)) {
            case "json" -> LogFormat.JSON;
            case "text", "system-default" -> LogFormat.TEXT;
            default -> throw settings.invalid(Setting.LOG_FORMAT, "json, text or system-default");
        };
    }

    private static String logLevel(ResolvedSettings settings) {
        String level = settings.text(Setting.LOG_LEVEL).toUpperCase(Locale.ROOT);
        return switch (level) {
            case "DEBUG", "INFO", "WARN", "ERROR" -> level;
            default -> throw settings.invalid(Setting.LOG_LEVEL, "DEBUG, INFO, WARN or ERROR");
        };
    }
}
