package dev.gatehouse.http;

import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where state shared by the nodes lives: nowhere ({@link Type#MEMORY}, each process on its own) or
 * one Redis (or Redis Cluster) that every surface of the process uses through one connection.
 */
public record StoreSettings(
        Type type, List<String> redisUrls, boolean redisCluster, long commandTimeoutMillis, long probeIntervalMillis) {

    /** Where shared state lives. */
    public enum Type {
        MEMORY,
        REDIS
    }

    /** GatekeeperAPI's name for the Redis URL; setting it selects Redis, as it does there. */
    private static final String GATEKEEPER_REDIS_URL = "REDIS_URL";

    public static final Setting<Type> TYPE = Setting.choice(
            "store.type",
            "GATEHOUSE_STORE",
            "memory",
            Map.of("memory", Type.MEMORY, "redis", Type.REDIS),
            "Where limits live: memory (this process) or redis (shared by every node)",
            "--store");
    public static final Setting<String> REDIS_URL = Setting.text(
                    "store.redis-url",
                    "GATEHOUSE_REDIS_URL",
                    "redis://127.0.0.1:6379",
                    false,
                    "Redis URL; with store.redis-cluster, comma-separated URLs of some cluster nodes. Also read from"
                            + " REDIS_URL (GatekeeperAPI's name), which then selects redis unless store.type is given",
                    "--redis-url")
            .withEnvAlias(GATEKEEPER_REDIS_URL);
    public static final Setting<Boolean> REDIS_CLUSTER = Setting.bool(
            "store.redis-cluster",
            "GATEHOUSE_REDIS_CLUSTER",
            false,
            "store.redis-url names a Redis Cluster",
            "--redis-cluster");
    public static final Setting<Long> COMMAND_TIMEOUT_MILLIS = Setting.longInteger(
            "store.command-timeout-millis",
            "GATEHOUSE_STORE_COMMAND_TIMEOUT_MILLIS",
            500,
            1,
            60_000,
            "How long a Redis command may take before Redis counts as down",
            "--store-command-timeout-millis");
    public static final Setting<Long> PROBE_INTERVAL_MILLIS = Setting.longInteger(
            "store.probe-interval-millis",
            "GATEHOUSE_STORE_PROBE_INTERVAL_MILLIS",
            1000,
            10,
            600_000,
            "How often a down Redis is asked whether it is back",
            "--store-probe-interval-millis");

    /** The settings the shared store is configured by. */
    public static final List<Setting<?>> SETTINGS =
            List.of(TYPE, REDIS_URL, REDIS_CLUSTER, COMMAND_TIMEOUT_MILLIS, PROBE_INTERVAL_MILLIS);

    /** The store {@code settings} describe; a {@link ConfigException} naming the setting when the URLs do not fit. */
    public static StoreSettings from(ResolvedSettings settings) {
        List<String> urls = List.of(settings.get(REDIS_URL).split("\\s*,\\s*"));
        boolean cluster = settings.get(REDIS_CLUSTER);
        if (!urls.stream().allMatch(StoreSettings::isRedisUrl)) {
            throw settings.invalid(REDIS_URL, "redis:// or rediss:// URLs");
        }
        if (!cluster && urls.size() > 1) {
            throw settings.invalid(REDIS_URL, "one URL, or set store.redis-cluster for a cluster's nodes");
        }
        Type type = settings.get(TYPE);
        if (!settings.isGiven(TYPE) && settings.value(REDIS_URL).source().equals("env " + GATEKEEPER_REDIS_URL)) {
            type = Type.REDIS;
        }
        return new StoreSettings(
                type, urls, cluster, settings.get(COMMAND_TIMEOUT_MILLIS), settings.get(PROBE_INTERVAL_MILLIS));
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
