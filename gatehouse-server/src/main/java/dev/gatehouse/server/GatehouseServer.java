package dev.gatehouse.server;

import dev.gatehouse.core.time.BatchClock;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.envoy.EnvoyRateLimitServer;
import dev.gatehouse.envoy.EnvoySettings;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.http.Infrastructure;
import dev.gatehouse.http.Listeners;
import dev.gatehouse.http.Started;
import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.Surface;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.jdbc.DatabaseException;
import dev.gatehouse.jdbc.DatabaseUrl;
import dev.gatehouse.jdbc.PostgresTenantStore;
import dev.gatehouse.server.rate.RateSettings;
import dev.gatehouse.server.rate.RateSurface;
import dev.gatehouse.server.room.RoomSettings;
import dev.gatehouse.server.room.RoomSurface;
import dev.gatehouse.waitingroom.MemoryQueueState;
import dev.gatehouse.waitingroom.MemoryTenantStore;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.TenantStore;
import dev.gatehouse.waitingroom.VisitorCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * One running {@code gatehouse serve}: its surfaces (the rate service, and the waiting room when it
 * has tenants, on the same listener), the admin listener, and Envoy's rate-limit service (gRPC, on a
 * listener of its own) when {@code envoy.config} is set, over one {@link Infrastructure}.
 */
public final class GatehouseServer implements AutoCloseable {

    /** Every setting of {@code gatehouse serve}, each declared by the part it configures. */
    public static final List<Setting<?>> SETTINGS = Stream.of(
                    RateSettings.SETTINGS,
                    RoomSettings.SETTINGS,
                    StoreSettings.SETTINGS,
                    Listeners.SETTINGS,
                    AccessLog.SETTINGS,
                    HttpLimits.SETTINGS,
                    EnvoySettings.SETTINGS)
            .flatMap(List::stream)
            .toList();

    /** Audit events a server without a database keeps (the newest). */
    private static final int AUDIT_EVENTS_IN_MEMORY = 10_000;

    private final Started started;
    private final Listeners listeners;
    private final @Nullable EnvoyRateLimitServer envoy;

    private GatehouseServer(Started started, @Nullable EnvoyRateLimitServer envoy) {
        this.started = started;
        this.listeners = started.listeners();
        this.envoy = envoy;
    }

    /**
     * Checks every value of {@code settings}; throws {@link dev.gatehouse.http.settings.ConfigException}
     * naming the first that is not what its setting accepts.
     */
    public static void validate(ResolvedSettings settings) {
        RateSettings.from(settings);
        RoomSettings.from(settings);
        StoreSettings.from(settings);
        Listeners.adminAddress(settings);
        AccessLog.from(settings);
        HttpLimits.from(settings);
        EnvoySettings.from(settings);
    }

    /**
     * Starts every listener; throws {@link dev.gatehouse.http.settings.ConfigException} for a bad
     * setting or key config file and {@link IllegalStateException} when Redis cannot be reached or a
     * port cannot be bound.
     */
    public static GatehouseServer start(ResolvedSettings settings) {
        // decisions on an event loop read the time once per batch of requests, as nginx does
        return start(settings, BatchClock.over(NanoClock.system()), WallClock.system(), null);
    }

    /**
     * {@link #start(ResolvedSettings)} on {@code clock} and {@code wallClock}, with {@code scheduler}
     * running queue wake-ups, admissions, sweeps and reload checks (null: a timer thread of the
     * server's own). For tests on virtual time.
     */
    public static GatehouseServer start(
            ResolvedSettings settings, NanoClock clock, WallClock wallClock, @Nullable Scheduler scheduler) {
        // every value is parsed (and so checked) before anything is started
        RateSettings rateSettings = RateSettings.from(settings);
        RoomSettings roomSettings = RoomSettings.from(settings);
        StoreSettings store = StoreSettings.from(settings);
        HttpLimits limits = HttpLimits.from(settings);
        AccessLog accessLog = AccessLog.from(settings);
        EnvoySettings envoySettings = EnvoySettings.from(settings);
        Surface.Address admin = Listeners.adminAddress(settings);
        Infrastructure infra = Infrastructure.start(store, limits, clock, wallClock, scheduler);
        try {
            List<Surface> surfaces = new ArrayList<>();
            RateSurface rate = RateSurface.start(rateSettings, infra);
            surfaces.add(rate);
            if (roomSettings.enabled()) { // on the rate service's listener, answering the paths it does not
                QueueState state = queueState(roomSettings, infra);
                surfaces.add(RoomSurface.start(
                        roomSettings,
                        rate.name(),
                        rateSettings.address(),
                        limits.maxBodyBytes(),
                        infra,
                        tenantStore(roomSettings, infra),
                        state,
                        visitorCalls(roomSettings, infra, state)));
            }
            EnvoyRateLimitServer envoy = envoySettings.config().isEmpty()
                    ? null
                    : infra.closeWith("envoy rate-limit service", EnvoyRateLimitServer.start(envoySettings, infra));
            Listeners listeners = Listeners.start(infra, limits, accessLog, admin, surfaces);
            return new GatehouseServer(new Started(infra, listeners), envoy);
        } catch (RuntimeException e) {
            infra.close();
            throw e;
        }
    }

    /** Where tenants live: the database when one is configured, else this process. */
    private static TenantStore tenantStore(RoomSettings settings, Infrastructure infra) {
        if (settings.databaseUrl().isEmpty()) {
            return new MemoryTenantStore(AUDIT_EVENTS_IN_MEMORY);
        }
        DatabaseUrl url;
        try {
            url = DatabaseUrl.parse(settings.databaseUrl().get());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("room.database-url: " + e.getMessage(), e);
        }
        try {
            return infra.closeWith(
                    "tenant database", PostgresTenantStore.builder(url).open());
        } catch (DatabaseException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Where queues live: the shared Redis when the store is Redis, else this process. */
    private static QueueState queueState(RoomSettings settings, Infrastructure infra) {
        return infra.redis()
                .<QueueState>map(redis -> redis.backend().queueState(settings.storeKeyPrefix()))
                .orElseGet(MemoryQueueState::new);
    }

    /**
     * A visitor's calls, each behind its per-address limit: on Redis, decided in the queue's own
     * script (one round trip); else by a limiter in this process in front of the queue.
     */
    private static VisitorCalls visitorCalls(RoomSettings settings, Infrastructure infra, QueueState state) {
        return infra.redis()
                .map(redis -> redis.backend().visitorCalls(settings.storeKeyPrefix()))
                .orElseGet(() -> VisitorCalls.inProcess(state, infra.clock()));
    }

    /** The port the rate service listens on (the bound one when 0 was configured). */
    public int ratePort() {
        return listeners.port("rate");
    }

    /** The port Envoy's rate-limit service listens on; empty when {@code envoy.config} is not set. */
    public java.util.OptionalInt envoyPort() {
        return envoy == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(envoy.port());
    }

    /** The port the admin listener listens on. */
    public int adminPort() {
        return listeners.adminPort();
    }

    public boolean ready() {
        return listeners.ready();
    }

    /** Shuts down gracefully within {@code http.shutdown-timeout-millis}, then closes the infrastructure. */
    @Override
    public void close() {
        started.close();
    }
}
