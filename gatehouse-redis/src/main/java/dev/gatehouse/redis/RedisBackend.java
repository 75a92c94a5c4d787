package dev.gatehouse.redis;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.window.WindowCounters;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.redis.room.RedisQueueState;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.VisitorCalls;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One connection to Redis (or Valkey), or to a Redis Cluster, shared by every adapter built from it.
 * Commands from many threads are pipelined on the connection, so there is no connection per
 * request.
 */
public final class RedisBackend implements AutoCloseable {

    /*
     * Design: commands time out after the command timeout whether issued synchronously or not, and
     * while the connection is down they fail at once instead of queueing for the reconnect: an
     * adapter learns of an outage in microseconds and its StoreHealth takes over, and Lettuce
     * reconnects in the background, trying again at least once a second, so that the health probe
     * finds Redis back within about a second of its return. A cluster connection routes each
     * script by the slot of its keys (which share one hash tag) and follows topology changes:
     * Lettuce's adaptive triggers (redirects, reconnects) and a periodic refresh. Its connections
     * to the nodes open on first use, so there commands wait for a connection (up to the command
     * timeout) instead of failing at once: an outage of a cluster node is noticed after one
     * command timeout.
     */

    /** How long a command may take, by default, before an adapter treats Redis as unavailable. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);

    /** How long a concurrency permit is held in Redis, by default, if its holder never releases it. */
    public static final Duration DEFAULT_CONCURRENCY_LEASE = Duration.ofMinutes(1);

    /**
     * The longest concurrency lease: a lease is named by the microsecond it ends on Redis's clock,
     * which must stay below 2^52 (until about the year 2110 with this bound).
     */
    public static final Duration MAX_CONCURRENCY_LEASE = Duration.ofDays(365);

    private static final Duration RECONNECT_DELAY_MIN = Duration.ofMillis(10);
    private static final Duration RECONNECT_DELAY_MAX = Duration.ofSeconds(1);
    private static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(30);

    /**
     * Commands written while the connection's event loop has more work queued share one flush: the
     * callers are other threads (the server's event loops), each command a task on the connection's
     * loop, so under load a batch of commands costs one write system call instead of one each. A lone
     * command is flushed as soon as its task ends.
     */
    private static final NettyCustomizer CONSOLIDATED_FLUSHES = new NettyCustomizer() {
        @Override
        public void afterChannelInitialized(Channel channel) {
            channel.pipeline()
                    .addFirst(new FlushConsolidationHandler(
                            FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
    };

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final String description;
    private final long commandTimeoutNanos;

    private RedisBackend(
            ClientResources resources,
            AbstractRedisClient client,
            StatefulConnection<String, String> connection,
            RedisClusterAsyncCommands<String, String> commands,
            String description,
            long timeout) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.description = description;
        this.commandTimeoutNanos = timeout;
    }

    /** Connects to {@code uri}, for example {@code redis://127.0.0.1:6379}, with the default command timeout. */
    public static RedisBackend connect(String uri) {
        return connect(uri, DEFAULT_COMMAND_TIMEOUT);
    }

    /** Connects to {@code uri}; a command that takes longer than {@code commandTimeout} counts as failed. */
    public static RedisBackend connect(String uri, Duration commandTimeout) {
        long timeoutNanos = Require.nanosAtLeast("commandTimeout", commandTimeout, 1_000_000);
        RedisURI redisUri = redisUri(Require.given("uri", uri, "a redis:// URI"), commandTimeout);
        return open(
                resources -> {
                    RedisClient client = RedisClient.create(resources, redisUri);
                    client.setOptions(ClientOptions.builder()
                            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                            .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                            .build());
                    return client;
                },
                client -> {
                    StatefulRedisConnection<String, String> connection = ((RedisClient) client).connect();
                    return new Connected(connection, connection.async());
                },
                "Redis at " + redisUri.getHost() + ":" + redisUri.getPort(),
                timeoutNanos);
    }

    /**
     * Connects to the Redis Cluster that {@code seedUris} belong to (any of its nodes will do); a
     * command that takes longer than {@code commandTimeout} counts as failed.
     */
    public static RedisBackend connectCluster(List<String> seedUris, Duration commandTimeout) {
        long timeoutNanos = Require.nanosAtLeast("commandTimeout", commandTimeout, 1_000_000);
        Require.given("seedUris", seedUris, "the URIs of some cluster nodes");
        if (seedUris.isEmpty()) {
            throw new IllegalArgumentException("seedUris: [] (expected: at least one cluster node)");
        }
        List<RedisURI> seeds =
                seedUris.stream().map(uri -> redisUri(uri, commandTimeout)).toList();
        return open(
                resources -> {
                    RedisClusterClient client = RedisClusterClient.create(resources, seeds);
                    client.setOptions(ClusterClientOptions.builder()
                            .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                    .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                                    .build())
                            .build());
                    return client;
                },
                client -> {
                    StatefulRedisClusterConnection<String, String> connection = ((RedisClusterClient) client).connect();
                    return new Connected(connection, connection.async());
                },
                "Redis Cluster at "
                        + seeds.stream()
                                .map(seed -> seed.getHost() + ":" + seed.getPort())
                                .collect(Collectors.joining(",")),
                timeoutNanos);
    }

    private static RedisURI redisUri(String uri, Duration commandTimeout) {
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(commandTimeout);
        return redisUri;
    }

    private record Connected(
            StatefulConnection<String, String> connection, RedisClusterAsyncCommands<String, String> commands) {}

    private static RedisBackend open(
            Function<ClientResources, AbstractRedisClient> newClient,
            Function<AbstractRedisClient, Connected> connect,
            String description,
            long timeoutNanos) {
        ClientResources resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(RECONNECT_DELAY_MIN, RECONNECT_DELAY_MAX, 2, TimeUnit.MILLISECONDS))
                .nettyCustomizer(CONSOLIDATED_FLUSHES)
                .build();
        AbstractRedisClient client = null;
        try {
            client = newClient.apply(resources);
            Connected connected = connect.apply(client);
            return new RedisBackend(
                    resources, client, connected.connection(), connected.commands(), description, timeoutNanos);
        } catch (RuntimeException e) {
            if (client != null) {
                client.shutdown();
            }
            resources.shutdown();
            throw e;
        }
    }

    /**
     * A {@link NonceStore} keeping its ids under {@code keyPrefix}, judged by the Redis server's clock,
     * so that every node sharing this Redis agrees on expiry whatever its own clock says.
     */
    public NonceStore nonceStore(String keyPrefix) {
        return new RedisNonceStore(commands, keyPrefix);
    }

    /**
     * Counters of fixed windows kept in Redis under {@code keyPrefix}, shared by every node using
     * this Redis (Envoy's rate-limit service counts in them).
     */
    public WindowCounters windowCounters(String keyPrefix) {
        return new RedisWindowCounters(commands, keyPrefix);
    }

    /**
     * The waiting room's queues kept in Redis under {@code keyPrefix} (no braces), shared by every
     * node using this Redis: each operation is one atomic script on the room's keys, judged by the
     * times the caller passes, so each tick happens once whichever nodes call {@code advance}.
     */
    public QueueState queueState(String keyPrefix) {
        return RedisQueueState.create(commands, keyPrefix);
    }

    /**
     * A visitor's calls on the rooms of {@link #queueState} under the same {@code keyPrefix}, each
     * with its per-address limit decided in the same atomic script as the call: one round trip.
     */
    public VisitorCalls visitorCalls(String keyPrefix) {
        return RedisQueueState.visitorCalls(commands, keyPrefix, Duration.ofNanos(commandTimeoutNanos));
    }

    /**
     * Limits per key kept in Redis under {@code keyPrefix}: every decision is one atomic script on the
     * server's clock, and a concurrency permit not released within {@link #DEFAULT_CONCURRENCY_LEASE}
     * is freed by Redis.
     */
    public KeyedRateLimiter rateLimiter(String keyPrefix) {
        return rateLimiter(keyPrefix, DEFAULT_CONCURRENCY_LEASE);
    }

    /**
     * As {@link #rateLimiter(String)}, freeing unreleased concurrency permits after {@code
     * concurrencyLease} (at most {@link #MAX_CONCURRENCY_LEASE}).
     */
    public KeyedRateLimiter rateLimiter(String keyPrefix, Duration concurrencyLease) {
        long leaseNanos = Require.nanosAtLeast("concurrencyLease", concurrencyLease, 1_000_000);
        if (concurrencyLease.compareTo(MAX_CONCURRENCY_LEASE) > 0) {
            throw new IllegalArgumentException(
                    "concurrencyLease: " + concurrencyLease + " (expected: <= " + MAX_CONCURRENCY_LEASE + ")");
        }
        return new RedisKeyedRateLimiter(commands, keyPrefix, leaseNanos / 1_000, RedisKeyedRateLimiter.SERVER_CLOCK);
    }

    /**
     * Why the Redis limiters cannot decide {@code spec} exactly, naming the bound (times must be whole
     * microseconds, and a script's arithmetic must stay below 2^52); empty when they can.
     */
    public static Optional<String> refusal(LimitSpec spec) {
        return RedisKeyedRateLimiter.refusal(Require.given("spec", spec, "a limit spec"));
    }

    /**
     * The health of this Redis as the adapters built from it see it, probed with {@code PING} every
     * {@code probeInterval} on {@code scheduler} once it stops answering.
     */
    public StoreHealth health(Scheduler scheduler, Duration probeInterval) {
        return StoreHealth.create(description, this::ping, scheduler, probeInterval);
    }

    /** The shared connection's asynchronous commands, for adapters (and tests) in this package. */
    RedisClusterAsyncCommands<String, String> commands() {
        return commands;
    }

    /** Returns when Redis answers a {@code PING} within the command timeout; throws otherwise. */
    public void ping() {
        try {
            commands.ping().get(commandTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(description + ": interrupted while waiting for PING", e);
        } catch (Exception e) {
            throw new IllegalStateException(description + " does not answer PING: " + e, e);
        }
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
        resources.shutdown();
    }
}
