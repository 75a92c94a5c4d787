package dev.gatehouse.http;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every surface of one process shares, built once and closed in reverse order by one call:
 * the clock, one timer thread (queue wake-ups, sweeps, reload checks; never an event loop), the
 * metrics registry (with the JVM's own figures), the Redis connection when state is shared, and Vert.x with its bounded
 * transport. Surfaces register what they open with {@link #closeWith}, to be closed before all of
 * this.
 */
public final class Infrastructure implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Infrastructure.class);
    private static final long VERTX_CLOSE_MILLIS = 2000;

    private final Closer closer = new Closer();
    private final NanoClock clock;
    private final WallClock wallClock;
    private final Scheduler scheduler;
    private final PrometheusMeterRegistry metrics;
    private final Optional<SharedRedis> redis;
    private final Vertx vertx;

    private Infrastructure(
            StoreSettings store,
            HttpLimits limits,
            NanoClock clock,
            WallClock wallClock,
            @Nullable Scheduler givenScheduler) {
        this.clock = clock;
        this.wallClock = wallClock;
        try {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            closer.add("metrics", registry::close);
            this.metrics = registry;
            // the process's own figures (heap, GC pauses, threads, CPU), as every JVM service shows them
            new JvmMemoryMetrics().bindTo(registry);
            closer.add("gc metrics", new JvmGcMetrics()).bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, task -> {
                Thread thread = new Thread(task, "gatehouse-timers");
                thread.setDaemon(true);
                return thread;
            });
            timers.setRemoveOnCancelPolicy(true); // a cancelled wake must not stay queued until its time
            closer.add("timers", timers::shutdownNow);
            this.scheduler = givenScheduler != null ? givenScheduler : Scheduler.of(timers);
            this.redis = store.type() == StoreSettings.Type.REDIS
                    ? Optional.of(closer.add("redis", SharedRedis.connect(store, metrics)))
                    : Optional.empty();
            this.vertx = Vertx.builder()
                    .with(new VertxOptions().setEventLoopPoolSize(limits.eventLoopCount()))
                    .withTransport(GuardedTransport.guarded(limits, clock))
                    .build();
            closer.add("vertx", () -> {
                try {
                    vertx.close()
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(VERTX_CLOSE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    LOG.warn("Vert.x did not close in time: {}", e.toString());
                }
            });
        } catch (RuntimeException e) {
            closer.close();
            throw e;
        }
    }

    /**
     * Builds the infrastructure: {@code clock} for every decision (the event loops join it when it is a
     * {@link dev.gatehouse.core.time.BatchClock}), {@code wallClock} for times other
     * processes must agree on (queue tokens, admission ticks), {@code scheduler} for the timers (null:
     * a timer thread of its own; tests pass a manual clock). Throws {@link
     * IllegalStateException} when Redis cannot be reached, having closed what it built.
     */
    public static Infrastructure start(
            StoreSettings store,
            HttpLimits limits,
            NanoClock clock,
            WallClock wallClock,
            @Nullable Scheduler scheduler) {
        return new Infrastructure(store, limits, clock, wallClock, scheduler);
    }

    public NanoClock clock() {
        return clock;
    }

    public WallClock wallClock() {
        return wallClock;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** The shared Redis, when {@code store.type} is {@code redis}. */
    public Optional<SharedRedis> redis() {
        return redis;
    }

    /** Registers {@code part} (named {@code name} in logs) to be closed before what was registered earlier. */
    public <T extends AutoCloseable> T closeWith(String name, T part) {
        return closer.add(name, part);
    }

    @Override
    public void close() {
        closer.close();
    }
}
