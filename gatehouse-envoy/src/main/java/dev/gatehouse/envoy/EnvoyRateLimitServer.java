package dev.gatehouse.envoy;

import dev.gatehouse.core.time.FilePoller;
import dev.gatehouse.core.window.MemoryWindowCounters;
import dev.gatehouse.core.window.WindowCounters;
import dev.gatehouse.http.Infrastructure;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.rate.envoy.EnvoyConfig;
import dev.gatehouse.rate.envoy.EnvoyRateLimits;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's rate-limit service for {@code gatehouse serve}: a gRPC listener (grpc-java on its own
 * Netty) answering {@code ShouldRateLimit} from envoyproxy/ratelimit's descriptor configuration,
 * counting in Redis when the server's store is Redis (so every replica shares the windows) and in
 * memory otherwise. The configuration is checked every {@code envoy.reload-interval-millis}: a
 * changed file applies to the next request, a broken one is logged and the one in force kept.
 *
 * <p>What a client sends is bounded: a message of at most {@link #MAX_MESSAGE_BYTES} (inflated, when
 * compressed), headers of at most {@link #MAX_METADATA_BYTES}, {@link #MAX_CALLS_PER_CONNECTION}
 * calls at once on a connection, each buffering at most {@link #FLOW_CONTROL_WINDOW_BYTES} unread, a
 * handshake within five seconds, {@link #MAX_RESETS_PER_10_SECONDS} stream resets per connection every
 * ten seconds (HTTP/2 rapid reset), a connection idle for five minutes closed, and the request's own
 * bounds ({@link EnvoyRateLimits}).
 */
public final class EnvoyRateLimitServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EnvoyRateLimitServer.class);

    /** The largest request message taken (Envoy's are a few hundred bytes). */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** The most header bytes a call may carry. */
    public static final int MAX_METADATA_BYTES = 16 * 1024;
    /** The most calls in flight on one connection (an Envoy keeps a few). */
    public static final int MAX_CALLS_PER_CONNECTION = 100;
    /** What a connection's streams may hold unread, each. */
    public static final int FLOW_CONTROL_WINDOW_BYTES = MAX_MESSAGE_BYTES;
    /** The most streams a connection may reset in ten seconds before it is closed. */
    public static final int MAX_RESETS_PER_10_SECONDS = 200;

    /*
     * grpc-java logs through java.util.logging, with a stack trace, what clients cause: a message past
     * the bound or a stream it cannot deframe (a WARNING of NettyServerStream), a connection that is no
     * HTTP/2 or breaks off (an INFO of NettyServerTransport). Each is answered to the client already;
     * logged, any client could fill the log. Held here so the levels stay set (JUL keeps loggers weakly).
     */
    private static final java.util.logging.Logger DEFRAMING =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream");
    private static final java.util.logging.Logger TRANSPORTS =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport");
    private static final java.util.logging.Logger HANDLERS =
            java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");

    static { // also a malformed grpc-timeout or -bin header, or headers past the bound (NettyServerHandler's WARNINGs)
        DEFRAMING.setLevel(java.util.logging.Level.SEVERE);
        TRANSPORTS.setLevel(java.util.logging.Level.WARNING);
        HANDLERS.setLevel(java.util.logging.Level.SEVERE);
    }

    private final Server server;
    private final FilePoller poller;

    private EnvoyRateLimitServer(Server server, FilePoller poller) {
        this.server = server;
        this.poller = poller;
    }

    /**
     * Starts the service of {@code settings} on {@code infra}; throws {@link ConfigException} when the
     * configuration is missing or broken, {@link IllegalStateException} when the port cannot be bound.
     */
    public static EnvoyRateLimitServer start(EnvoySettings settings, Infrastructure infra) {
        Path path = settings.config().orElseThrow(() -> new ConfigException("envoy.config: not set"));
        EnvoyConfig config;
        try {
            config = EnvoyConfig.read(path);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("envoy.config: " + e.getMessage(), e);
        }
        WindowCounters counters = infra.redis()
                .map(redis -> redis.backend().windowCounters(settings.keyPrefix()))
                .orElseGet(() -> new MemoryWindowCounters(infra.wallClock(), settings.maxCounters()));
        EnvoyRateLimits limits = new EnvoyRateLimits(
                config, counters, infra.wallClock(), settings.shadowMode(), settings.responseHeaders());
        FilePoller poller = FilePoller.start(
                path,
                TimeUnit.MILLISECONDS.toNanos(settings.reloadIntervalMillis()),
                infra.scheduler(),
                () -> reload(path, limits),
                () -> LOG.warn("envoy.config {} is gone; keeping the descriptors in force", path));
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()))
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .maxInboundMetadataSize(MAX_METADATA_BYTES)
                .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
                .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
                .maxRstFramesPerWindow(MAX_RESETS_PER_10_SECONDS, 10)
                .maxConnectionIdle(5, TimeUnit.MINUTES)
                .handshakeTimeout(5, TimeUnit.SECONDS)
                .directExecutor() // the service never blocks: memory counters answer at once, Redis's asynchronously
                .addService(RateLimitGrpc.service(limits, new Meters(infra.metrics())))
                .build();
        try {
            server.start();
        } catch (IOException e) {
            poller.close();
            throw new IllegalStateException(
                    "envoy rate-limit service: cannot listen on " + settings.host() + ":" + settings.port() + " ("
                            + e.getMessage() + ")",
                    e);
        }
        LOG.info("envoy rate-limit service: domains {} from {}", config.domains(), path);
        return new EnvoyRateLimitServer(server, poller);
    }

    private static void reload(Path path, EnvoyRateLimits limits) {
        try {
            EnvoyConfig next = EnvoyConfig.read(path);
            limits.replace(next);
            if (next.domains().isEmpty()) {
                LOG.warn("envoy.config {} reloaded with no domain: nothing is limited now", path);
            } else {
                LOG.info("envoy.config reloaded: domains {}", next.domains());
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("envoy.config not reloaded, keeping the descriptors in force: {}", e.getMessage());
        }
    }

    /** The port the service listens on (the bound one when 0 was configured). */
    public int port() {
        return server.getPort();
    }

    /** Stops taking calls, lets those in flight finish for up to five seconds, then stops. */
    @Override
    public void close() {
        poller.close();
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** {@code gatehouse.envoy.requests} by {@code outcome}: ok, over_limit, invalid, unavailable. */
    private static final class Meters implements RateLimitGrpc.Listener {
        private final MeterRegistry registry;
        private final Map<String, Counter> counters = new ConcurrentHashMap<>(); // four outcomes

        Meters(MeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void answered(String outcome) {
            counters.computeIfAbsent(
                            outcome,
                            name -> Counter.builder("gatehouse.envoy.requests")
                                    .description("ShouldRateLimit calls answered, by outcome")
                                    .tag("outcome", name)
                                    .register(registry))
                    .increment();
        }
    }
}
