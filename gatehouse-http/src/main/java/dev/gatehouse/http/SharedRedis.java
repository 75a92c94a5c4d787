package dev.gatehouse.http;

import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.redis.RedisBackend;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The one Redis connection of the process, which every surface's adapters share, and its health as
 * they see it: probed with PING on a thread of its own while Redis does not answer, and shown as
 * {@code gatehouse_store_healthy} and {@code gatehouse_store_outages_total} tagged {@code
 * store="redis"}.
 */
public final class SharedRedis implements AutoCloseable {

    private final RedisBackend backend;
    private final ScheduledExecutorService probes;
    private final StoreHealth health;

    private SharedRedis(RedisBackend backend, ScheduledExecutorService probes, StoreHealth health) {
        this.backend = backend;
        this.probes = probes;
        this.health = health;
    }

    /** Connects as {@code settings} say; an {@link IllegalStateException} naming the address when Redis cannot be reached. */
    static SharedRedis connect(StoreSettings settings, MeterRegistry registry) {
        Duration timeout = Duration.ofMillis(settings.commandTimeoutMillis());
        RedisBackend backend;
        try {
            backend = settings.redisCluster()
                    ? RedisBackend.connectCluster(settings.redisUrls(), timeout)
                    : RedisBackend.connect(settings.redisUrls().getFirst(), timeout);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "store.redis-url: cannot connect to " + settings.redisAddresses() + ": " + e.getMessage(), e);
        }
        // PING blocks up to the command timeout: on a thread of its own, never the process's timers
        ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "gatehouse-store-probe");
            thread.setDaemon(true);
            return thread;
        });
        try {
            StoreHealth health =
                    backend.health(Scheduler.of(probes), Duration.ofMillis(settings.probeIntervalMillis()));
            Gauge.builder("gatehouse.store.healthy", health, h -> h.healthy() ? 1 : 0)
                    .description("1 while the shared store answers, 0 while the fallback decides")
                    .tag("store", "redis")
                    .register(registry);
            FunctionCounter.builder("gatehouse.store.outages", health, StoreHealth::outages)
                    .description("Times the shared store stopped answering")
                    .tag("store", "redis")
                    .register(registry);
            return new SharedRedis(backend, probes, health);
        } catch (RuntimeException e) {
            probes.shutdownNow();
            backend.close();
            throw e;
        }
    }

    /** The connection, for building adapters (limiters, nonce stores) on it. */
    public RedisBackend backend() {
        return backend;
    }

    /** Whether Redis answers, as the adapters and the probe see it. */
    public StoreHealth health() {
        return health;
    }

    @Override
    public void close() {
        probes.shutdownNow();
        backend.close();
    }
}
