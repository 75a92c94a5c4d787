package dev.gatehouse.server.rate;

import dev.gatehouse.core.degrade.DegradingKeyedRateLimiter;
import dev.gatehouse.core.degrade.Fallback;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.redis.RedisBackend;
import dev.gatehouse.server.config.ServerConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** {@link RateStore} in Redis: every node that shares the Redis and the key prefix shares the limits. */
final class RedisRateStore implements RateStore {

    /*
     * Design: decisions go through a DegradingKeyedRateLimiter (the configured fallback while Redis
     * does not answer) over an optional denial cache over the Redis limiter. Redis expires idle state
     * by itself; what this node keeps is the list of keys it has served, for /debug and the key
     * gauge: bounded by maxKeys (beyond it, new keys are decided but not listed) and swept, like the
     * memory store, IDLE_WINDOWS windows after their last use. With store.degrade=local the shares
     * are enforced in a memory store of their own, swept alongside.
     */

    /** A key this node served: its latest spec and use, updated in place (the idle sweep tracks this instance). */
    private static final class Served {
        volatile LimitSpec spec;
        volatile long lastUsedNanos;

        Served(LimitSpec spec, long lastUsedNanos) {
            this.spec = spec;
            this.lastUsedNanos = lastUsedNanos;
        }
    }

    private final RedisBackend backend;
    private final ScheduledExecutorService probes;
    private final NanoClock clock;
    private final int maxKeys;
    private final Optional<MemoryRateStore> localShares;
    private final KeyedRateLimiter limiter;
    private final ConcurrentHashMap<String, Served> served = new ConcurrentHashMap<>();
    private final LongAdder evictions = new LongAdder();
    private final IdleSweep<Served> servedSweep = new IdleSweep<>(served);

    private RedisRateStore(
            RedisBackend backend,
            ScheduledExecutorService probes,
            StoreHealth health,
            ServerConfig.Store config,
            NanoClock clock,
            int maxKeys,
            MeterRegistry registry) {
        this.backend = backend;
        this.probes = probes;
        this.clock = clock;
        this.maxKeys = maxKeys;
        this.localShares = config.degrade() == ServerConfig.Degrade.LOCAL
                ? Optional.of(new MemoryRateStore(clock, maxKeys, key -> {
                    throw new IllegalStateException("every local share is asked for with its spec");
                }))
                : Optional.empty();
        Fallback fallback = switch (config.degrade()) {
            case FAIL_OPEN -> Fallback.failOpen();
            case FAIL_CLOSED -> Fallback.failClosed();
            case LOCAL -> Fallback.local(localShares.orElseThrow().limiter(), config.nodes());
        };
        KeyedRateLimiter redis = backend.rateLimiter(config.keyPrefix());
        KeyedRateLimiter cached = config.denyCacheKeys() == 0
                ? redis
                : KeyedRateLimiter.cachingDenials(redis, clock, config.denyCacheKeys());
        this.limiter = new Listing(DegradingKeyedRateLimiter.create(cached, health, fallback));
        Gauge.builder("gatehouse.store.healthy", health, h -> h.healthy() ? 1 : 0)
                .description("1 while the shared store (Redis) answers, 0 while the fallback decides")
                .register(registry);
        FunctionCounter.builder("gatehouse.store.outages", health, StoreHealth::outages)
                .description("Times the shared store stopped answering")
                .register(registry);
    }

    static RedisRateStore connect(ServerConfig.Store config, NanoClock clock, int maxKeys, MeterRegistry registry) {
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
            return new RedisRateStore(backend, probes, health, config, clock, maxKeys, registry);
        } catch (RuntimeException e) {
            probes.shutdownNow();
            backend.close();
            throw e;
        }
    }

    @Override
    public Optional<String> refusal(LimitSpec spec) {
        try {
            RedisBackend.checkSupported(spec);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override
    public KeyedRateLimiter limiter() {
        return limiter;
    }

    @Override
    public void forEachKey(Consumer<String> action) {
        served.keySet().forEach(action);
    }

    @Override
    public int keyCount() {
        return served.size();
    }

    @Override
    public long evictions() {
        return evictions.sum();
    }

    @Override
    public int sweep(int maxEntries) {
        localShares.ifPresent(shares -> shares.sweep(maxEntries));
        long now = clock.nowNanos();
        int evicted =
                servedSweep.step(maxEntries, last -> now - last.lastUsedNanos > MemoryRateStore.idleNanos(last.spec));
        evictions.add(evicted);
        return evicted;
    }

    @Override
    public void close() {
        probes.shutdownNow();
        backend.close();
    }

    /** Notes each key it decides for, then asks the store. */
    private final class Listing implements KeyedRateLimiter {
        private final KeyedRateLimiter store;

        Listing(KeyedRateLimiter store) {
            this.store = store;
        }

        @Override
        public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
            long now = clock.nowNanos();
            Served known = served.get(key);
            if (known != null) {
                known.spec = spec;
                known.lastUsedNanos = now;
            } else if (served.size() < maxKeys) {
                Served fresh = new Served(spec, now);
                if (served.putIfAbsent(key, fresh) == null) {
                    servedSweep.added(key, fresh);
                }
            }
            return failedIfThrown(() -> store.decide(key, spec, permits));
        }

        @Override
        public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
            return failedIfThrown(() -> store.release(key, spec, permits, lease));
        }

        @Override
        public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
            return failedIfThrown(() -> store.snapshot(key, spec));
        }

        /** A spec Redis refuses (see refusal) throws at once; callers of the port expect a failed stage. */
        private static <T> CompletionStage<T> failedIfThrown(Supplier<CompletionStage<T>> call) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    }
}
