package dev.gatehouse.server;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.GuardedTransport;
import dev.gatehouse.http.HttpSurface;
import dev.gatehouse.http.admin.AdminApi;
import dev.gatehouse.http.config.ConfigException;
import dev.gatehouse.http.config.ServerConfig;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.ClientPermissions;
import dev.gatehouse.rate.KeyConfigWatcher;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RatePolicy;
import dev.gatehouse.rate.RateService;
import dev.gatehouse.server.rate.RateApi;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running {@code gatehouse serve}: the rate service on its public listener and the admin
 * listener, sharing one Vert.x instance, one scheduler and one metrics registry.
 */
public final class GatehouseServer implements AutoCloseable {

    /*
     * Design: one module, one package per HTTP surface (rate, admin; later room and gate), and the
     * plumbing they share in http and config. Timers of the rate service (queue wake-ups, sweeps, key
     * config polling) run on one scheduler thread, never on an event loop, and only ever hand answers
     * back to the event loop of the request they belong to.
     *
     * Shutdown, bounded by http.shutdown-timeout-millis: not ready, answer every waiter (503), stop
     * accepting and let requests in progress finish, then close Vert.x.
     */

    private static final Logger LOG = LoggerFactory.getLogger(GatehouseServer.class);
    private static final long START_TIMEOUT_SECONDS = 30;

    private final ServerConfig config;
    private final Vertx vertx;
    private final ScheduledExecutorService timers;
    private final PrometheusMeterRegistry metrics;
    private final Optional<SharedStore> redis;
    private final RateService rateService;
    private final Optional<KeyConfigWatcher> watcher;
    private final HttpServer rateServer;
    private final HttpServer adminServer;
    private volatile boolean ready;

    private GatehouseServer(ServerConfig config, NanoClock clock, Scheduler givenScheduler) {
        this.config = config;
        ScheduledThreadPoolExecutor timerPool = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "gatehouse-timers");
            thread.setDaemon(true);
            return thread;
        });
        timerPool.setRemoveOnCancelPolicy(true); // a cancelled wake must not stay queued until its time
        this.timers = timerPool;
        Scheduler scheduler = givenScheduler != null ? givenScheduler : Scheduler.of(timers);
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServerConfig.Rate rate = config.rate();
        RatePolicy defaults = new RatePolicy(
                RateLimits.of(
                        rate.maxRequests(), rate.maxRequestsInQueue(), rate.windowMillis(), Algorithm.FIXED_WINDOW),
                List.of());
        this.redis = switch (config.store().type()) {
            case MEMORY -> Optional.empty();
            case REDIS -> {
                try {
                    yield Optional.of(SharedStore.connect(config.store(), metrics));
                } catch (RuntimeException e) {
                    timers.shutdownNow();
                    throw new IllegalStateException(
                            "store.redis-url: cannot connect to "
                                    + config.store().redisAddresses() + ": " + e.getMessage(),
                            e);
                }
            }
        };
        RateService.Builder service = RateService.builder(defaults);
        redis.ifPresent(shared -> service.store(shared.rateStore(config.store(), clock, rate.maxKeys())));
        this.rateService = service.clock(clock)
                .scheduler(scheduler)
                .permissions(new ClientPermissions(
                        rate.requestsCanSetRate(), rate.requestsCanModQueue(), rate.maxKeyBytes()))
                .maxKeys(rate.maxKeys())
                .meterRegistry(metrics)
                .build();
        try {
            this.watcher = rate.configFile()
                    .map(file -> KeyConfigWatcher.start(
                            file,
                            TimeUnit.MILLISECONDS.toNanos(rate.reloadIntervalMillis()),
                            scheduler,
                            rules -> rateService.reconfigure(defaults.withRules(rules))));
        } catch (IllegalArgumentException e) {
            rateService.close();
            redis.ifPresent(SharedStore::close);
            timers.shutdownNow();
            throw new ConfigException("rate.config-file: " + e.getMessage(), e);
        }
        watcher.ifPresent(w -> {
            FunctionCounter.builder("gatehouse.rate.config.reloads", w, KeyConfigWatcher::reloads)
                    .description("Changes of the key config file, applied or refused (the rules in force kept)")
                    .tag("outcome", "applied")
                    .register(metrics);
            FunctionCounter.builder("gatehouse.rate.config.reloads", w, KeyConfigWatcher::refusedReloads)
                    .description("Changes of the key config file, applied or refused (the rules in force kept)")
                    .tag("outcome", "refused")
                    .register(metrics);
        });
        this.vertx = Vertx.builder()
                .withTransport(GuardedTransport.nio(config.http()))
                .build();
        Optional<AccessLog> accessLog = Optional.of(new AccessLog(config.log()));
        Router rateRouter = HttpSurface.router(vertx, config.http(), accessLog, RateApi::allowedMethods);
        RateApi rateApi = new RateApi(rateService, rate.debugMaxKeys());
        rateApi.mount(rateRouter);
        if (rate.debugListener() == ServerConfig.DebugListener.PUBLIC) {
            rateApi.mountDebug(rateRouter);
        }
        Router adminRouter = HttpSurface.router(vertx, config.http(), Optional.empty(), path -> "GET");
        new AdminApi(metrics, () -> ready).mount(adminRouter);
        if (rate.debugListener() == ServerConfig.DebugListener.ADMIN) {
            rateApi.mountDebug(adminRouter);
        }
        this.rateServer = vertx.createHttpServer(HttpSurface.options(rate.host(), rate.port(), config.http()))
                .requestHandler(HttpSurface.answeringThrows(rateApi.withShortPath(rateRouter, accessLog), accessLog))
                .invalidRequestHandler(HttpSurface.invalidRequestHandler(accessLog));
        this.adminServer = vertx.createHttpServer(HttpSurface.options(
                        config.admin().host(), config.admin().port(), config.http()))
                .requestHandler(HttpSurface.answeringThrows(adminRouter, Optional.empty()))
                .invalidRequestHandler(HttpSurface.invalidRequestHandler(Optional.empty()));
    }

    /** Starts both listeners; throws {@link ConfigException} for a bad key config and {@link IllegalStateException} if a port cannot be bound. */
    public static GatehouseServer start(ServerConfig config) {
        return start(config, NanoClock.system(), null);
    }

    /**
     * {@link #start(ServerConfig)} on {@code clock}, with {@code scheduler} running queue wake-ups,
     * sweeps and reload checks (null: the server's own timer thread). For tests on virtual time.
     */
    public static GatehouseServer start(ServerConfig config, NanoClock clock, Scheduler scheduler) {
        GatehouseServer server = new GatehouseServer(config, clock, scheduler);
        try {
            await(Future.all(server.rateServer.listen(), server.adminServer.listen()), START_TIMEOUT_SECONDS * 1000);
        } catch (RuntimeException e) {
            server.close();
            throw new IllegalStateException("cannot listen: " + e.getMessage(), e);
        }
        server.ready = true;
        return server;
    }

    /** The port the rate service listens on (the bound one when 0 was configured). */
    public int ratePort() {
        return rateServer.actualPort();
    }

    /** The port the admin listener listens on. */
    public int adminPort() {
        return adminServer.actualPort();
    }

    public ServerConfig config() {
        return config;
    }

    public boolean ready() {
        return ready;
    }

    /** Shuts down gracefully within {@code http.shutdown-timeout-millis}; see the design note. */
    @Override
    public void close() {
        ready = false;
        long delayMillis = config.http().shutdownDelayMillis();
        if (delayMillis > 0) { // load balancers watching /readyz stop sending before the listeners stop
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long deadlineNanos =
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.http().shutdownTimeoutMillis());
        watcher.ifPresent(KeyConfigWatcher::close);
        rateService.close();
        // the public listener drains first; meanwhile the admin listener still answers, /readyz with 503
        shutDown(rateServer, "rate", deadlineNanos);
        shutDown(adminServer, "admin", deadlineNanos);
        try {
            await(vertx.close(), 2000);
        } catch (RuntimeException e) {
            LOG.warn("Vert.x did not close in time: {}", e.getMessage());
        }
        redis.ifPresent(SharedStore::close);
        timers.shutdownNow();
        metrics.close();
        LOG.info("stopped");
    }

    private static void shutDown(HttpServer listener, String name, long deadlineNanos) {
        long leftMillis = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        try {
            await(listener.shutdown(leftMillis, TimeUnit.MILLISECONDS), leftMillis + 1000);
        } catch (RuntimeException e) {
            LOG.warn("the {} listener did not shut down in time: {}", name, e.getMessage());
        }
    }

    private static <T> T await(Future<T> future, long timeoutMillis) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer within " + timeoutMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
