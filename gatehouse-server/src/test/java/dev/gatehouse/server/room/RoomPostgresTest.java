package dev.gatehouse.server.room;

import static dev.gatehouse.server.room.RoomApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.jdbc.DatabaseUrl;
import dev.gatehouse.jdbc.PostgresTenantStore;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.TenantStore;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The room with its tenants in the real PostgreSQL ({@code GATEHOUSE_JDBC_URL}), in a schema of its
 * own: tenants managed beside a running server (as {@code gatehouse tenants} does) take effect within
 * a refresh, and configs and admissions reach the database.
 */
class RoomPostgresTest {

    private String url;
    private PostgresTenantStore admin;
    private TestServer server;
    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);

    @BeforeEach
    void start() {
        String base = RequiredServices.postgres();
        byte[] suffix = new byte[6];
        new SecureRandom().nextBytes(suffix);
        url = base + (base.contains("?") ? "&" : "?") + "currentSchema=gh_room_"
                + HexFormat.of().formatHex(suffix);
        admin = PostgresTenantStore.builder(DatabaseUrl.parse(url)).open();
        server = TestServer.start(
                Map.of(RoomSettings.DATABASE_URL, url, RoomSettings.JWT_SECRET, RoomApiTest.SECRET), clock);
        clock.advanceNanos(0);
    }

    @AfterEach
    void stop() throws SQLException {
        server.close();
        admin.close();
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        try (Connection connection = DriverManager.getConnection(
                        parsed.jdbcUrl(),
                        parsed.user().orElse(null),
                        parsed.password().orElse(null));
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + admin.schema() + " CASCADE");
        }
    }

    private HttpResponse<String> enqueue(String key, String user) {
        return server.send("POST", "/queue/enqueue", "business_id", key, "user_id", user);
    }

    /**
     * Moves the clock past a tenant refresh until {@code key} gets {@code status}: the read is async,
     * and a refresh due while one still reads is skipped, so the one that read before the change may
     * be the last a single move makes (a clean-clone run waited ten seconds on it once).
     */
    private void refreshUntil(String key, int status) {
        Await.until(Duration.ofSeconds(10), () -> {
            clock.advance(Duration.ofMillis(2_000)); // room.tenant-refresh-millis
            return enqueue(key, "probe").statusCode() == status;
        });
    }

    @Test
    void tenantsAddedRotatedAndRevokedBesideTheServerTakeEffectWithinARefresh() {
        TenantStore.Issued shop =
                admin.add("shop", "Shop").toCompletableFuture().join().orElseThrow();
        assertThat(enqueue(shop.apiKey(), "a").statusCode()).isEqualTo(401); // not yet read
        refreshUntil(shop.apiKey(), 200);

        TenantStore.Issued rotated =
                admin.rotateKey("shop").toCompletableFuture().join().orElseThrow();
        refreshUntil(shop.apiKey(), 401);
        assertThat(enqueue(rotated.apiKey(), "b").statusCode()).isEqualTo(200);

        admin.revoke("shop").toCompletableFuture().join();
        refreshUntil(rotated.apiKey(), 401);
        HttpResponse<String> revoked = enqueue(rotated.apiKey(), "c");
        assertThat(revoked.statusCode()).isEqualTo(401);
        assertThat(json(revoked).get("detail").asText()).isEqualTo("Invalid API key");
    }

    @Test
    void configsAndAdmissionsReachTheDatabase() {
        TenantStore.Issued shop =
                admin.add("shop", "Shop").toCompletableFuture().join().orElseThrow();
        refreshUntil(shop.apiKey(), 200);
        HttpResponse<String> configured = server.send(HttpRequest.newBuilder(server.rate("/config"))
                .header("business_id", shop.apiKey())
                .POST(HttpRequest.BodyPublishers.ofString("{\"admission_limit\": 1, \"admission_frequency\": 2}"))
                .build());
        assertThat(configured.statusCode()).isEqualTo(200);
        assertThat(enqueue(shop.apiKey(), "alice").statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(2));
        Await.until(
                Duration.ofSeconds(10),
                () -> admin.recentAudit("shop", 10).toCompletableFuture().join().stream()
                        .anyMatch(event -> event.kind() == TenantStore.AuditKind.ADMITTED));
        // the config is saved to the database after the answer: awaited as the audit is
        Await.until(
                Duration.ofSeconds(10),
                () -> admin.config("shop").toCompletableFuture().join().isPresent());
        RoomConfig saved = admin.config("shop").toCompletableFuture().join().orElseThrow();
        assertThat(saved.admissionLimit()).isEqualTo(1);
        assertThat(saved.admissionFrequencySeconds()).isEqualTo(2);
        assertThat(admin.recentAudit("shop", 10).toCompletableFuture().join())
                .extracting(TenantStore.AuditEvent::kind)
                .contains(TenantStore.AuditKind.ADMITTED, TenantStore.AuditKind.CONFIG_CHANGED);
    }

    /**
     * Changes of different fields sent at once: each is saved to the database in the order they were
     * made, so the saved config comes to be the last one, with every change in it.
     */
    @Test
    void configChangesSentAtOnce_theDatabaseKeepsTheLast() throws InterruptedException {
        TenantStore.Issued shop =
                admin.add("shop", "Shop").toCompletableFuture().join().orElseThrow();
        refreshUntil(shop.apiKey(), 200);
        List<RoomConfig.Field> fields = List.of(
                RoomConfig.Field.ADMISSION_LIMIT,
                RoomConfig.Field.ADMISSION_FREQUENCY,
                RoomConfig.Field.IP_ENQUEUE_LIMIT,
                RoomConfig.Field.IP_STATUS_POLLING_LIMIT,
                RoomConfig.Field.MAX_ACTIVE_USERS,
                RoomConfig.Field.ABANDON_AFTER_SECONDS);
        for (int round = 0; round < 5; round++) {
            long value = 100 + round;
            AtomicInteger next = new AtomicInteger();
            Race.run(fields.size(), () -> {
                RoomConfig.Field field = fields.get(next.getAndIncrement());
                HttpResponse<String> changed = server.send(HttpRequest.newBuilder(server.rate("/config"))
                        .header("business_id", shop.apiKey())
                        .POST(HttpRequest.BodyPublishers.ofString("{\"" + field.wireName() + "\": " + value + "}"))
                        .build());
                assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
            });
            // saved after the answers, in the order made: the last config, with every change in it, stays
            Await.until(
                    Duration.ofSeconds(10),
                    () -> admin.config("shop")
                            .toCompletableFuture()
                            .join()
                            .filter(saved -> fields.stream().allMatch(field -> field.of(saved) == value))
                            .isPresent());
        }
    }

    @Test
    void theAuditLogIsKeptToItsRetention_aMinuteAfterStartThenHourly() {
        long now = clock.epochMillis();
        long day = Duration.ofDays(1).toMillis();
        admin.audit(List.of(
                        new TenantStore.AuditEvent("shop", now - 31 * day, TenantStore.AuditKind.ADMITTED, "old", 1),
                        new TenantStore.AuditEvent("shop", now - 29 * day, TenantStore.AuditKind.ADMITTED, "kept", 1)))
                .toCompletableFuture()
                .join();

        clock.advance(Duration.ofMinutes(1)); // room.audit-retention-days: 30 by default

        Await.until(
                Duration.ofSeconds(10),
                () -> admin.recentAudit("shop", 10).toCompletableFuture().join().size() == 1);
        assertThat(admin.recentAudit("shop", 10).toCompletableFuture().join())
                .extracting(TenantStore.AuditEvent::user)
                .containsExactly("kept");
    }
}
