package dev.gatehouse.http.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One configurable value of {@code gatehouse serve}: its place in the YAML file, its command-line
 * flags, its environment variable and its default. The CLI, the YAML reader and the docs all come
 * from this one table, so a setting cannot exist in one of them and be missing from another.
 */
public enum Setting {
    RATE_HOST("rate.host", "GATEHOUSE_HOST", "0.0.0.0", "Address the rate service listens on", "--host"),
    RATE_PORT("rate.port", "PORT", "8080", "Port of the rate service (0 picks a free one)", "--port", "-p"),
    MAX_REQUESTS(
            "rate.max-requests",
            "MAX_REQUESTS",
            "100",
            "Default max requests per window per key",
            "--max-requests",
            "-m"),
    MAX_REQUESTS_IN_QUEUE(
            "rate.max-requests-in-queue",
            "MAX_REQUESTS_IN_QUEUE",
            "400",
            "Default max requests waiting per key once its window is full",
            "--max-requests-in-queue"),
    WINDOW_MILLIS(
            "rate.window-millis",
            "WINDOW_MILLIS",
            "1000",
            "Default window length in milliseconds",
            "--window-millis",
            "-w"),
    REQUESTS_CAN_SET_RATE(
            "rate.requests-can-set-rate",
            "REQUESTS_CAN_SET_RATE",
            "true",
            "Allow clients to set a key's rate with ?maxRequests=",
            "--requests-can-set-rate",
            "-r"),
    REQUESTS_CAN_MOD_QUEUE(
            "rate.requests-can-mod-queue",
            "REQUESTS_CAN_MOD_QUEUE",
            "true",
            "Allow clients to set a key's queue size with ?maxRequestsInQueue=",
            "--requests-can-mod-queue"),
    CONFIG_FILE(
            "rate.config-file",
            "CONFIG_FILE",
            "",
            "JSON file of per-key limits, reloaded when it changes",
            "--config-file",
            "-c"),
    RELOAD_INTERVAL_MILLIS(
            "rate.reload-interval-millis",
            "GATEHOUSE_RELOAD_INTERVAL_MILLIS",
            "1000",
            "How often the key config file is checked for changes",
            "--reload-interval-millis"),
    MAX_KEYS(
            "rate.max-keys",
            "GATEHOUSE_MAX_KEYS",
            "1000000",
            "Most keys kept at once; the least recently useful are evicted beyond it",
            "--max-keys"),
    MAX_KEY_BYTES(
            "rate.max-key-bytes", "GATEHOUSE_MAX_KEY_BYTES", "256", "Longest key, in UTF-8 bytes", "--max-key-bytes"),
    DEBUG_MAX_KEYS(
            "rate.debug-max-keys",
            "GATEHOUSE_DEBUG_MAX_KEYS",
            "10000",
            "Most keys listed by one page of GET /debug",
            "--debug-max-keys"),
    DEBUG_LISTENER(
            "rate.debug-listener",
            "GATEHOUSE_DEBUG_LISTENER",
            "public",
            "Where /debug and /debug/{key} answer: public (with /rate, as gocc), admin (the private listener) or off",
            "--debug-listener"),
    STORE(
            "store.type",
            "GATEHOUSE_STORE",
            "memory",
            "Where limits live: memory (this process) or redis (shared by every node)",
            "--store"),
    REDIS_URL(
            "store.redis-url",
            "GATEHOUSE_REDIS_URL",
            "redis://127.0.0.1:6379",
            "Redis URL; with store.redis-cluster, comma-separated URLs of some cluster nodes",
            "--redis-url"),
    REDIS_CLUSTER(
            "store.redis-cluster",
            "GATEHOUSE_REDIS_CLUSTER",
            "false",
            "store.redis-url names a Redis Cluster",
            "--redis-cluster"),
    STORE_KEY_PREFIX(
            "store.key-prefix",
            "GATEHOUSE_STORE_KEY_PREFIX",
            "gatehouse:rate:",
            "Prefix of every Redis key the rate service writes (no braces)",
            "--store-key-prefix"),
    STORE_COMMAND_TIMEOUT_MILLIS(
            "store.command-timeout-millis",
            "GATEHOUSE_STORE_COMMAND_TIMEOUT_MILLIS",
            "500",
            "How long a Redis command may take before Redis counts as down",
            "--store-command-timeout-millis"),
    STORE_DEGRADE(
            "store.degrade",
            "GATEHOUSE_STORE_DEGRADE",
            "local",
            "While Redis is down: fail-open (allow), fail-closed (deny) or local (each node enforces its share)",
            "--store-degrade"),
    STORE_NODES(
            "store.nodes",
            "GATEHOUSE_STORE_NODES",
            "1",
            "Nodes sharing the store; with store.degrade=local each enforces 1/nodes of every limit",
            "--store-nodes"),
    STORE_PROBE_INTERVAL_MILLIS(
            "store.probe-interval-millis",
            "GATEHOUSE_STORE_PROBE_INTERVAL_MILLIS",
            "1000",
            "How often a down Redis is asked whether it is back",
            "--store-probe-interval-millis"),
    STORE_DENY_CACHE_KEYS(
            "store.deny-cache-keys",
            "GATEHOUSE_STORE_DENY_CACHE_KEYS",
            "100000",
            "Keys over their limit denied on this node until their retry time, without asking Redis (0: off)",
            "--store-deny-cache-keys"),
    ADMIN_HOST(
            "admin.host",
            "GATEHOUSE_ADMIN_HOST",
            "127.0.0.1",
            "Address of the admin listener (metrics, health)",
            "--admin-host"),
    ADMIN_PORT(
            "admin.port",
            "GATEHOUSE_ADMIN_PORT",
            "9090",
            "Port of the admin listener (0 picks a free one)",
            "--admin-port"),
    LOG_FORMAT("log.format", "LOG_FORMAT", "json", "json, text or system-default (= text)", "--log-format", "-l"),
    LOG_LEVEL("log.level", "LOG_LEVEL", "INFO", "DEBUG, INFO, WARN or ERROR", "--log-level"),
    LOG_2XX("log.log2xx", "LOG_2XX", "false", "Log 2xx responses", "--log2xx"),
    LOG_4XX("log.log4xx", "LOG_4XX", "false", "Log 4xx responses (rate limited ones included)", "--log4xx"),
    LOG_5XX("log.log5xx", "LOG_5XX", "true", "Log 5xx responses", "--log5xx"),
    MAX_HEADER_BYTES(
            "http.max-header-bytes",
            "GATEHOUSE_MAX_HEADER_BYTES",
            "8192",
            "Largest request header block",
            "--max-header-bytes"),
    MAX_INITIAL_LINE_BYTES(
            "http.max-initial-line-bytes",
            "GATEHOUSE_MAX_INITIAL_LINE_BYTES",
            "4096",
            "Longest request line (method, path and query string)",
            "--max-initial-line-bytes"),
    MAX_BODY_BYTES(
            "http.max-body-bytes", "GATEHOUSE_MAX_BODY_BYTES", "65536", "Largest request body", "--max-body-bytes"),
    MAX_CONCURRENT_STREAMS(
            "http.max-concurrent-streams",
            "GATEHOUSE_MAX_CONCURRENT_STREAMS",
            "1000",
            "Most concurrent HTTP/2 streams per connection",
            "--max-concurrent-streams"),
    MAX_CONNECTIONS(
            "http.max-connections",
            "GATEHOUSE_MAX_CONNECTIONS",
            "10000",
            "Most open connections per listener; a connection past it is closed at once",
            "--max-connections"),
    HEADER_TIMEOUT_MILLIS(
            "http.header-timeout-millis",
            "GATEHOUSE_HEADER_TIMEOUT_MILLIS",
            "5000",
            "Longest time to receive a request head, from its first byte (or the connection's start); then 408 and close",
            "--header-timeout-millis"),
    BODY_TIMEOUT_MILLIS(
            "http.body-timeout-millis",
            "GATEHOUSE_BODY_TIMEOUT_MILLIS",
            "30000",
            "Longest time to receive a request body, from the end of its head; then the connection (HTTP/2: the stream) is closed",
            "--body-timeout-millis"),
    WRITE_TIMEOUT_MILLIS(
            "http.write-timeout-millis",
            "GATEHOUSE_WRITE_TIMEOUT_MILLIS",
            "30000",
            "Longest time a client may leave an answer unread once the send buffer is full; then close",
            "--write-timeout-millis"),
    IDLE_TIMEOUT_MILLIS(
            "http.idle-timeout-millis",
            "GATEHOUSE_IDLE_TIMEOUT_MILLIS",
            "120000",
            "Longest time a connection with no request in progress stays open (keep-alive; HTTP/2: no open stream)",
            "--idle-timeout-millis"),
    SHUTDOWN_TIMEOUT_MILLIS(
            "http.shutdown-timeout-millis",
            "GATEHOUSE_SHUTDOWN_TIMEOUT_MILLIS",
            "5000",
            "Longest graceful shutdown before open connections are dropped",
            "--shutdown-timeout-millis"),
    SHUTDOWN_DELAY_MILLIS(
            "http.shutdown-delay-millis",
            "GATEHOUSE_SHUTDOWN_DELAY_MILLIS",
            "0",
            "On a stop, how long /readyz answers 503 while the rate API still serves, before the listeners stop",
            "--shutdown-delay-millis");

    private final String path;
    private final String env;
    private final String defaultValue;
    private final String description;
    private final List<String> flags;

    Setting(String path, String env, String defaultValue, String description, String... flags) {
        this.path = path;
        this.env = env;
        this.defaultValue = defaultValue;
        this.description = description;
        this.flags = List.of(flags);
    }

    /** The dotted place in the YAML file, such as {@code rate.max-requests}. */
    public String path() {
        return path;
    }

    /** The environment variable that sets it. */
    public String env() {
        return env;
    }

    /** The value used when nothing sets it. */
    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /** The flags that set it, long one first. */
    public List<String> flags() {
        return flags;
    }

    /** Whether it takes {@code true}/{@code false} (a flag alone means {@code true}). */
    public boolean isBoolean() {
        return defaultValue.equals("true") || defaultValue.equals("false");
    }

    /** The setting at {@code path}, if there is one. */
    public static Optional<Setting> atPath(String path) {
        return Arrays.stream(values()).filter(s -> s.path.equals(path)).findFirst();
    }
}
