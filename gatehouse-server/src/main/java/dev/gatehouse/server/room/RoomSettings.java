package dev.gatehouse.server.room;

import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.waitingroom.QueueTokens;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

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
        int auditRetentionDays,
        String drawVrfKey,
        String drawSigningKey,
        Optional<String> pagesFile,
        QueueTokens.Algorithm tokenAlgorithm,
        String tokenSigningKey) {

    private static final Pattern KEY_HEX = Pattern.compile("[0-9a-fA-F]{64}");

    public static final Setting<String> BUSINESS_IDS = Setting.secret(
            "room.business-ids",
            "BUSINESS_IDS",
            "API keys of the room's tenants, colon-separated (GatekeeperAPI's BUSINESS_IDS)",
            "--business-ids");
    public static final Setting<String> JWT_SECRET = Setting.secret(
            "room.jwt-secret",
            "JWT_SECRET",
            "Secret signing the queue tokens (HS256) and keying the draw tickets, at least 32 bytes; required when the"
                    + " room is on",
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

    public static final Setting<String> DRAW_VRF_KEY = Setting.secret(
            "room.draw-vrf-key",
            "GATEHOUSE_DRAW_VRF_KEY",
            "ECVRF secret key drawing the events' orders, 64 hex digits; replicas must share it (empty: random per"
                    + " process)",
            "--draw-vrf-key");
    public static final Setting<String> DRAW_SIGNING_KEY = Setting.secret(
            "room.draw-signing-key",
            "GATEHOUSE_DRAW_SIGNING_KEY",
            "Ed25519 seed signing the events' draw records, 64 hex digits, not the VRF key; replicas must share it"
                    + " (empty: random per process)",
            "--draw-signing-key");

    public static final Setting<String> PAGES_FILE = Setting.text(
            "room.pages-file",
            "GATEHOUSE_ROOM_PAGES",
            "",
            true,
            "YAML file of the hosted waiting pages' look and words per room (tenant id, or * for every room);"
                    + " empty: the defaults",
            "--room-pages");

    public static final Setting<QueueTokens.Algorithm> TOKEN_ALGORITHM = Setting.choice(
            "room.token-algorithm",
            "GATEHOUSE_TOKEN_ALGORITHM",
            "HS256",
            Map.of("hs256", QueueTokens.Algorithm.HS256, "eddsa", QueueTokens.Algorithm.EDDSA),
            "How queue tokens are signed: HS256 with room.jwt-secret (GatekeeperAPI's) or EdDSA with"
                    + " room.token-signing-key, whose public key /.well-known/jwks.json serves for offline checks",
            "--token-algorithm");
    public static final Setting<String> TOKEN_SIGNING_KEY = Setting.secret(
            "room.token-signing-key",
            "GATEHOUSE_TOKEN_SIGNING_KEY",
            "Ed25519 seed signing the queue tokens under EdDSA, 64 hex digits, not a draw key; replicas must share"
                    + " it (empty: random per process)",
            "--token-signing-key");

    /** The settings of the waiting room. */
    public static final List<Setting<?>> SETTINGS = List.of(
            BUSINESS_IDS,
            JWT_SECRET,
            DATABASE_URL,
            TRUSTED_PROXY_HOPS,
            TENANT_REFRESH_MILLIS,
            METRICS_MAX_TENANTS,
            STORE_KEY_PREFIX,
            AUDIT_RETENTION_DAYS,
            DRAW_VRF_KEY,
            DRAW_SIGNING_KEY,
            PAGES_FILE,
            TOKEN_ALGORITHM,
            TOKEN_SIGNING_KEY);

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
        String vrfKey = drawKey(settings, DRAW_VRF_KEY);
        String signingKey = drawKey(settings, DRAW_SIGNING_KEY);
        if (!vrfKey.isEmpty() && vrfKey.equalsIgnoreCase(signingKey)) {
            throw settings.invalid(DRAW_SIGNING_KEY, "not the same key as room.draw-vrf-key (the draw needs two keys)");
        }
        String tokenKey = drawKey(settings, TOKEN_SIGNING_KEY);
        if (!tokenKey.isEmpty() && (tokenKey.equalsIgnoreCase(vrfKey) || tokenKey.equalsIgnoreCase(signingKey))) {
            throw settings.invalid(TOKEN_SIGNING_KEY, "not the same key as a draw key (one key per use)");
        }
        return new RoomSettings(
                keys,
                secret,
                database,
                settings.get(TRUSTED_PROXY_HOPS),
                settings.get(TENANT_REFRESH_MILLIS),
                settings.get(METRICS_MAX_TENANTS),
                settings.get(STORE_KEY_PREFIX),
                settings.get(AUDIT_RETENTION_DAYS),
                vrfKey,
                signingKey,
                Optional.of(settings.get(PAGES_FILE)).filter(file -> !file.isEmpty()),
                settings.get(TOKEN_ALGORITHM),
                tokenKey);
    }

    private static String drawKey(ResolvedSettings settings, Setting<String> setting) {
        String key = settings.get(setting).trim();
        if (!key.isEmpty() && !KEY_HEX.matcher(key).matches()) {
            throw settings.invalid(setting, "64 hex digits (32 bytes), or empty for a random key per process");
        }
        return key;
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
