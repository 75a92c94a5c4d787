package dev.gatehouse.server.rate;

import dev.gatehouse.core.degrade.Fallback;
import dev.gatehouse.core.degrade.StoreChain;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.Infrastructure;
import dev.gatehouse.http.SharedRedis;
import dev.gatehouse.http.Surface;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.rate.KeyConfigWatcher;
import dev.gatehouse.rate.MemoryRateStore;
import dev.gatehouse.rate.RatePolicy;
import dev.gatehouse.rate.RateService;
import dev.gatehouse.rate.RateStore;
import dev.gatehouse.rate.SharedRateStore;
import dev.gatehouse.redis.RedisBackend;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The gocc-compatible rate service as a surface of {@code gatehouse serve}: its store (this process,
 * or the shared Redis behind a denial cache and the configured fallback), the service with its
 * queues and overrides, the key config file watcher, and the routes.
 */
public final class RateSurface implements Surface {

    private final RateSettings settings;
    private final RateService service;
    private final Optional<KeyConfigWatcher> watcher;
    private final RateApi api;

    private RateSurface(RateSettings settings, RateService service, Optional<KeyConfigWatcher> watcher) {
        this.settings = settings;
        this.service = service;
        this.watcher = watcher;
        this.api = new RateApi(service, settings.debugMaxKeys());
    }

    /**
     * Builds the surface on {@code infra}; throws {@link ConfigException} naming {@code
     * rate.config-file} when that file cannot be used.
     */
    public static RateSurface start(RateSettings settings, Infrastructure infra) {
        NanoClock clock = infra.clock();
        RatePolicy defaults = new RatePolicy(settings.defaults(), List.of());
        RateService.Builder builder = RateService.builder(defaults)
                .clock(clock)
                .scheduler(infra.scheduler())
                .permissions(settings.permissions())
                .maxKeys(settings.maxKeys())
                .meterRegistry(infra.metrics());
        infra.redis().ifPresent(redis -> builder.store(sharedStore(redis, settings, clock)));
        RateService service = builder.build();
        Optional<KeyConfigWatcher> watcher;
        try {
            watcher = settings.configFile()
                    .map(file -> KeyConfigWatcher.start(
                            file,
                            TimeUnit.MILLISECONDS.toNanos(settings.reloadIntervalMillis()),
                            infra.scheduler(),
                            rules -> service.reconfigure(defaults.withRules(rules))));
        } catch (IllegalArgumentException e) {
            service.close();
            throw new ConfigException("rate.config-file: " + e.getMessage(), e);
        }
        watcher.ifPresent(w -> countReloads(w, infra.metrics()));
        RateSurface surface = new RateSurface(settings, service, watcher);
        // stopped by the listeners on a shutdown; this covers a start that fails after this point
        infra.closeWith("rate surface", surface::stop);
        return surface;
    }

    /** The rate store in Redis: its limiter behind the denial cache and the fallback the settings ask for. */
    private static RateStore sharedStore(SharedRedis redis, RateSettings settings, NanoClock clock) {
        Optional<RateStore> localShares = settings.degrade() == RateSettings.Degrade.LOCAL
                ? Optional.of(new MemoryRateStore(clock, settings.maxKeys(), key -> {
                    throw new IllegalStateException("every local share is asked for with its spec");
                }))
                : Optional.empty();
        Fallback fallback = switch (settings.degrade()) {
            case FAIL_OPEN -> Fallback.failOpen();
            case FAIL_CLOSED -> Fallback.failClosed();
            case LOCAL -> Fallback.local(localShares.orElseThrow().limiter(), settings.nodes());
        };
        KeyedRateLimiter limiter = StoreChain.over(redis.backend().rateLimiter(settings.storeKeyPrefix()))
                .cachingDenials(clock, settings.denyCacheKeys())
                .degrading(redis.health(), fallback);
        return new SharedRateStore(limiter, RedisBackend::refusal, localShares, clock, settings.maxKeys());
    }

    private static void countReloads(KeyConfigWatcher watcher, MeterRegistry metrics) {
        String description = "Changes of the key config file, applied or refused (the rules in force kept)";
        FunctionCounter.builder("gatehouse.rate.config.reloads", watcher, KeyConfigWatcher::reloads)
                .description(description)
                .tag("outcome", "applied")
                .register(metrics);
        FunctionCounter.builder("gatehouse.rate.config.reloads", watcher, KeyConfigWatcher::refusedReloads)
                .description(description)
                .tag("outcome", "refused")
                .register(metrics);
    }

    @Override
    public String name() {
        return "rate";
    }

    @Override
    public Address address() {
        return settings.address();
    }

    @Override
    public ErrorStyle errorStyle() {
        return ErrorStyle.PLAIN;
    }

    /** {@code /rate…}, {@code /healthz…} and {@code /debug…}: gocc's paths. */
    @Override
    public boolean claims(String path) {
        return path.startsWith("/rate") || path.startsWith("/healthz") || path.startsWith("/debug");
    }

    @Override
    public String allowedMethods(String path) {
        return RateApi.allowedMethods(path);
    }

    @Override
    public void mount(Router router) {
        api.mount(router);
        if (settings.debugListener() == RateSettings.DebugListener.PUBLIC) {
            api.mountDebug(router);
        }
    }

    @Override
    public void mountAdmin(Router router) {
        if (settings.debugListener() == RateSettings.DebugListener.ADMIN) {
            api.mountDebug(router);
        }
    }

    @Override
    public Handler<HttpServerRequest> front(Router router, Optional<AccessLog> accessLog) {
        return api.withShortPath(router, accessLog);
    }

    /** Stops watching the key config file and answers every waiting call (503); harmless when repeated. */
    @Override
    public void stop() {
        watcher.ifPresent(KeyConfigWatcher::close);
        service.close();
    }
}
