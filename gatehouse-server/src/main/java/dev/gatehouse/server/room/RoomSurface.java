package dev.gatehouse.server.room;

import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.Infrastructure;
import dev.gatehouse.http.Surface;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.server.docs.ApiDocs;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.AuditRetention;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueTokens;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfigs;
import dev.gatehouse.waitingroom.RoomEvents;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantDirectory;
import dev.gatehouse.waitingroom.TenantStore;
import dev.gatehouse.waitingroom.VisitorCalls;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GatekeeperAPI-compatible waiting room as a surface of {@code gatehouse serve}, on the rate
 * service's listener: its tenants (the {@code BUSINESS_IDS} keys, and those of the tenant store,
 * re-read every few seconds), the queue state, the admissions that move every room, the visitor's
 * calls behind their per-IP limits, and the routes.
 */
public final class RoomSurface implements Surface {

    private static final Logger LOG = LoggerFactory.getLogger(RoomSurface.class);
    private static final long FIRST_READ_MILLIS = 10_000;
    private static final long MAX_ADVANCE_SLEEP_MILLIS = 1_000;
    /** How long a room's config is used before it is read again: another replica's change is seen within it. */
    private static final long CONFIG_MAX_AGE_MILLIS = 1_000;

    private static final Duration AUDIT_PRUNE_INTERVAL = Duration.ofHours(1);

    /** Spent proof-of-work solutions remembered at once in memory (each for its challenge's life). */
    private static final int MAX_POW_NONCES = 1_000_000;

    private final Address address;
    private final String sharedListener;
    private final RoomApi api;
    private final RoomPages pages;
    private final Jwks jwks;
    private final int maxBodyBytes;
    private final Admissions admissions;
    private final TenantDirectory directory;

    private RoomSurface(
            Address address,
            String sharedListener,
            RoomApi api,
            RoomPages pages,
            Jwks jwks,
            int maxBodyBytes,
            Admissions admissions,
            TenantDirectory directory) {
        this.address = address;
        this.sharedListener = sharedListener;
        this.api = api;
        this.pages = pages;
        this.jwks = jwks;
        this.maxBodyBytes = maxBodyBytes;
        this.admissions = admissions;
        this.directory = directory;
    }

    /**
     * Builds the room on {@code infra}, served on the listener of the surface named {@code
     * sharedListener} at {@code address}, with its tenants in {@code store}, queues in {@code state} and a visitor's limited calls on them in {@code calls}. Throws {@link
     * IllegalStateException} when the tenants cannot be read.
     */
    public static RoomSurface start(
            RoomSettings settings,
            String sharedListener,
            Address address,
            int maxBodyBytes,
            Infrastructure infra,
            TenantStore store,
            QueueState state,
            VisitorCalls calls) {
        for (String key : settings.businessIds()) {
            Tenant tenant = Tenant.ofBusinessId(key);
            await(store.register(tenant), "registering tenant " + tenant.id());
        }
        RoomMetrics metrics = new RoomMetrics(infra.metrics(), settings.metricsMaxTenants());
        QueueTokens tokens = RoomTokens.of(settings, infra.wallClock());
        RoomDraws draws = new RoomDraws(settings, state, tokens);
        // one cache of the rooms' configs for the routes and the events: a change here is seen by both at once
        RoomConfigs configs = new RoomConfigs(state, CONFIG_MAX_AGE_MILLIS);
        RoomEvents events = new RoomEvents(state, configs, draws::of);
        Admissions admissions = infra.closeWith(
                "admissions",
                new Admissions(
                        state, store, infra.wallClock(), infra.scheduler(), MAX_ADVANCE_SLEEP_MILLIS, metrics, events));
        metrics.countsFrom(admissions);
        Set<String> seeded = ConcurrentHashMap.newKeySet();
        TenantDirectory directory = infra.closeWith(
                "tenants",
                TenantDirectory.start(
                        store, infra.scheduler(), settings.tenantRefreshMillis(), FIRST_READ_MILLIS, tenants -> {
                            seedConfigs(tenants, seeded, store, state);
                            admissions.rooms(tenants.stream().map(Tenant::id).toList());
                            metrics.tenants(tenants);
                        }));
        if (settings.auditRetentionDays() > 0) {
            infra.closeWith(
                    "audit retention",
                    AuditRetention.start(
                            store,
                            infra.scheduler(),
                            infra.wallClock(),
                            Duration.ofDays(settings.auditRetentionDays()),
                            AUDIT_PRUNE_INTERVAL));
        }
        List<String> ids = directory.tenants().stream().map(Tenant::id).toList();
        LOG.info(
                "waiting room on for {} tenant(s){}; each room's waiting page is /wait/<tenant id>",
                ids.size(),
                ids.isEmpty()
                        ? ""
                        : ": " + String.join(", ", ids.subList(0, Math.min(10, ids.size())))
                                + (ids.size() > 10 ? ", …" : ""));
        RoomApi api = new RoomApi(
                directory,
                state,
                store,
                tokens,
                admissions,
                configs,
                draws,
                calls,
                new RoomWork(
                        settings.jwtSecret(),
                        infra.redis()
                                .map(redis -> redis.backend().nonceStore(settings.storeKeyPrefix() + "room-pow:"))
                                .orElseGet(() -> NonceStore.inMemory(infra.wallClock(), infra.clock(), MAX_POW_NONCES)),
                        infra.wallClock()),
                infra.wallClock(),
                settings.trustedProxyHops());
        RoomPages pages = new RoomPages(
                PageLooks.read(settings.pagesFile()),
                room -> directory.byId(room).isPresent(),
                api,
                infra.wallClock());
        return new RoomSurface(
                address, sharedListener, api, pages, new Jwks(tokens), maxBodyBytes, admissions, directory);
    }

    /**
     * Gives each room not seeded yet the config saved for it, unless the queue state has one already;
     * a room seeded once is not read again when the tenant list changes (one that failed is tried at
     * the next change).
     */
    private static void seedConfigs(List<Tenant> tenants, Set<String> seeded, TenantStore store, QueueState state) {
        for (Tenant tenant : tenants) {
            if (seeded.contains(tenant.id())) {
                continue;
            }
            store.config(tenant.id())
                    .thenCompose(saved -> state.configureIfAbsent(tenant.id(), saved.orElse(RoomConfig.DEFAULTS)))
                    .whenComplete((done, failure) -> {
                        if (failure != null) {
                            LOG.warn("room {}: config not seeded: {}", tenant.id(), failure.toString());
                        } else {
                            seeded.add(tenant.id());
                        }
                    });
        }
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage, String what) {
        try {
            return stage.toCompletableFuture().get(FIRST_READ_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException(what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "room";
    }

    @Override
    public Address address() {
        return address;
    }

    /** The rate service's listener: GatekeeperAPI's clients and gocc's share one port. */
    @Override
    public String listener() {
        return sharedListener;
    }

    @Override
    public ErrorStyle errorStyle() {
        return ErrorStyle.DETAIL;
    }

    @Override
    public String allowedMethods(String path) {
        return RoomApi.allowedMethods(path);
    }

    @Override
    public void mount(Router router) {
        api.mount(router, maxBodyBytes);
        pages.mount(router);
        jwks.mount(router);
        ApiDocs.mount(router);
    }

    /** Stops moving the rooms and reading tenants; harmless when repeated. */
    @Override
    public void stop() {
        admissions.close();
        directory.close();
    }
}
