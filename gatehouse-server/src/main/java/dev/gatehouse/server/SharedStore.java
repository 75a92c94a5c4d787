package dev.gatehouse.server;

import dev.gatehouse.core.degrade.Fallback;
import dev.gatehouse.core.degrade.StoreChain;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.http.config.ServerConfig;
import dev.gatehouse.rate.RateStore;
import dev.gatehouse.redis.RedisBackend;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The one Redis connection of the process and its health, probed on a thread of its own. */
final class SharedStore implements AutoCloseable {

    private final RedisBackend backend;
    private final ScheduledExecutorService probes;
    private final StoreHealth health;

    private SharedStore(RedisBackend backend, ScheduledExecutorService probes, StoreHealth health) {
        this.backend = backend;
        this.probes = probes;
        this.health = health;
    }

    static SharedStore connect(ServerConfig.Store config, MeterRegistry registry) {
        Duration timeout = Duration.ofMillis(config.commandTimeoutMillis());
        RedisBackend backend = config.redisCluster()
                ? RedisBackend.connectCluster(config.redisUrls(), timeout)
                : RedisBackend.connect(config.redisUrls().getFirst(), timeout);
        // PING blocks up to the command timeout: on a thread of its own, not the server's timers
        ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "gatehouse-store-probe");
            thread.setDaemon(true);
            return thread;
        });
        try {
            StoreHealth health = backend.health(Scheduler.of(probes), Duration.ofMillis(config.probeIntervalMillis()));
            Gauge.builder("gatehouse.store.healthy", health, h -> h.healthy() ? 1 : 0)
                    .description("1 while the shared store answers, 0 while the fallback decides")
                    .tag("store", "redis")
                    .register(registry);
            FunctionCounter.builder("gatehouse.store.outages", health, StoreHealth::outages)
                    .description("Times the shared store stopped answering")
                    .tag("store", "redis")
                    .register(registry);
            return new SharedStore(backend, probes, health);
        } catch (RuntimeException e) {
            probes.shutdownNow();
            backend.close();
            throw e;
        }
    }

    /** The rate service's store in Redis: its limiter behind the denial cache and the fallback {@code config} asks for. */
    RateStore rateStore(ServerConfig.Store config, NanoClock clock, int maxKeys) {
        Optional<RateStore> localShares = config.degrade() == ServerConfig.Degrade.LOCAL
                ? Optional.of(RateStore.inMemory(clock, maxKeys, key -> {
                    throw new IllegalStateException("every local share is asked for with its spec");
                }))
                : Optional.empty();
        Fallback fallback = switch (config.degrade()) {
            case FAIL_OPEN -> Fallback.failOpen();
            case FAIL_CLOSED -> Fallback.failClosed();
            case LOCAL -> Fallback.local(localShares.orElseThrow().limiter(), config.nodes());
        };
        KeyedRateLimiter limiter = StoreChain.over(backend.rateLimiter(config.keyPrefix()))
                .cachingDenials(clock, config.denyCacheKeys())
                .degrading(health, fallback);
        return RateStore.shared(limiter, RedisBackend::refusal, localShares, clock, maxKeys);
    }

    @Override
    public void close() {
        probes.shutdownNow();
        backend.close();
    }
}
