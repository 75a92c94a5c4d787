package dev.gatehouse.server.room;

import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.waitingroom.QueueTokens;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The settings of the waiting room, with GatekeeperAPI's environment variables for its own: the
 * tenants' API keys ({@code BUSINESS_IDS}), the token secret ({@code JWT_SECRET}) and the database
 * ({@code DATABASE_URL}). The room is on when tenants can exist: keys are given or a database holds
 * them; then the secret is required.
 */
public record RoomSettings(
        List<String> businessIds,
        String jwtSecret,
        Optional<String> databaseUrl,
        int trustedProxyHops,
        long tenantRefreshMillis,
        int metricsMaxTenants,
        String storeKeyPrefix,
        int auditRetentionDays) {

    public static final Setting<String> BUSINESS_IDS = Setting.secret(
            "room.business-ids",
            "BUSINESS_IDS",
            "API keys of the room's tenants, colon-separated (GatekeeperAPI's BUSINESS_IDS)",
            "--business-ids");
    public static final Setting<String> JWT_SECRET = Setting.secret(
            "room.jwt-secret",
            "JWT_SECRET",
            "Secret signing the queue tokens (HS256), at least 32 bytes; required when the room is on",
            "--jwt-secret");
    public static final Setting<String> DATABASE_URL = Setting.text(
            "room.database-url",
            "DATABASE_URL",
            "",
            true,
            "PostgreSQL keeping tenants, their configs and the audit log: postgresql://, postgresql+asyncpg://"
                    + " or jdbc:postgresql: URL",
            "--database-url");
    public static final Setting<Integer> TRUSTED_PROXY_HOPS = Setting.integer(
            "room.trusted-proxy-hops",
            "GATEHOUSE_TRUSTED_PROXY_HOPS",
            0,
            0,
            16,
            "Proxies in front whose X-Forwarded-For entries are trusted for the client IP (0: the connection's)",
            "--trusted-proxy-hops");
    public static final Setting<Long> TENANT_REFRESH_MILLIS = Setting.longInteger(
            "room.tenant-refresh-millis",
            "GATEHOUSE_TENANT_REFRESH_MILLIS",
            2_000,
            100,
            3_600_000,
            "How often tenants are read again from the database (a revoked key stops working within it)",
            "--tenant-refresh-millis");
    public static final Setting<Integer> METRICS_MAX_TENANTS = Setting.integer(
            "room.metrics-max-tenants",
            "GATEHOUSE_METRICS_MAX_TENANTS",
            100,
            0,
            10_000,
            "Most tenants with metrics of their own; the others are counted together as tenant=\"_other\"",
            "--metrics-max-tenants");
    public static final Setting<String> STORE_KEY_PREFIX = Setting.text(
            "room.store-key-prefix",
            "GATEHOUSE_ROOM_KEY_PREFIX",
            "gatehouse:",
            false,
            "Prefix of the room's keys in Redis",
            "--room-key-prefix");

    public static final Setting<Integer> AUDIT_RETENTION_DAYS = Setting.integer(
            "room.audit-retention-days",
            "GATEHOUSE_AUDIT_RETENTION_DAYS",
            30,
            0,
            36_500,
            "Days the audit log keeps an event; older ones are deleted every hour (0: kept forever)",
            "--audit-retention-days");

    /** The settings of the waiting room. */
    public static final List<Setting<?>> SETTINGS = List.of(
            BUSINESS_IDS,
            JWT_SECRET,
            DATABASE_URL,
            TRUSTED_PROXY_HOPS,
            TENANT_REFRESH_MILLIS,
            METRICS_MAX_TENANTS,
            STORE_KEY_PREFIX,
            AUDIT_RETENTION_DAYS);

    /**
     * The room's settings; throws {@link dev.gatehouse.http.settings.ConfigException} naming the
     * setting when the room is on and the secret is missing or short.
     */
    public static RoomSettings from(ResolvedSettings settings) {
        List<String> keys = Arrays.stream(settings.get(BUSINESS_IDS).split(":"))
                .map(String::trim)
                .filter(key -> !key.isEmpty())
                .distinct()
                .toList();
        Optional<String> database = Optional.of(settings.get(DATABASE_URL)).filter(url -> !url.isEmpty());
        String secret = settings.get(JWT_SECRET);
        boolean on = !keys.isEmpty() || database.isPresent();
        if (on && secret.getBytes(StandardCharsets.UTF_8).length < QueueTokens.MIN_SECRET_BYTES) {
            throw settings.invalid(
                    JWT_SECRET,
                    "at least " + QueueTokens.MIN_SECRET_BYTES
                            + " bytes, set by JWT_SECRET, when the room is on (room.business-ids or room.database-url"
                            + " is set)");
        }
        return new RoomSettings(
                keys,
                secret,
                database,
                settings.get(TRUSTED_PROXY_HOPS),
                settings.get(TENANT_REFRESH_MILLIS),
                settings.get(METRICS_MAX_TENANTS),
                settings.get(STORE_KEY_PREFIX),
                settings.get(AUDIT_RETENTION_DAYS));
    }

    /** Whether the room is on: tenants come from keys given or from a database. */
    public boolean enabled() {
        return !businessIds.isEmpty() || databaseUrl.isPresent();
    }

    @Override
    public String toString() { // never the keys or the secret
        return "RoomSettings[" + businessIds.size() + " business ids, database " + databaseUrl.isPresent()
                + ", trustedProxyHops " + trustedProxyHops + "]";
    }
}
