package dev.gatehouse.redis;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.degrade.StoreHealth;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.proof.nonce.NonceStore;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One connection to Redis (or Valkey) shared by every adapter built from it. Commands from many
 * threads are pipelined on the connection, so there is no connection per request.
 */
public final class RedisBackend implements AutoCloseable {

    /*
     * Design: commands time out after the command timeout whether issued synchronously or not, and
     * while the connection is down they fail at once instead of queueing for the reconnect: an
     * adapter learns of an outage in microseconds and its StoreHealth takes over, and Lettuce
     * reconnects in the background, trying again at least once a second, so that the health probe
     * finds Redis back within about a second of its return.
     */

    /** How long a command may take, by default, before an adapter treats Redis as unavailable. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);

    /** How long a concurrency permit is held in Redis, by default, if its holder never releases it. */
    public static final Duration DEFAULT_CONCURRENCY_LEASE = Duration.ofMinutes(1);

    private static final Duration RECONNECT_DELAY_MIN = Duration.ofMillis(10);
    private static final Duration RECONNECT_DELAY_MAX = Duration.ofSeconds(1);

    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final String description;
    private final long commandTimeoutNanos;

    private RedisBackend(
            ClientResources resources,
            RedisClient client,
            StatefulRedisConnection<String, String> connection,
            String description,
            long timeout) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
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
        RedisURI redisUri = RedisURI.create(Require.given("uri", uri, "a redis:// URI"));
        redisUri.setTimeout(commandTimeout);
        ClientResources resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(RECONNECT_DELAY_MIN, RECONNECT_DELAY_MAX, 2, TimeUnit.MILLISECONDS))
                .build();
        RedisClient client = RedisClient.create(resources, redisUri);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .build());
        try {
            String description = "Redis at " + redisUri.getHost() + ":" + redisUri.getPort();
            return new RedisBackend(resources, client, client.connect(), description, timeoutNanos);
        } catch (RuntimeException e) {
            client.shutdown();
            resources.shutdown();
            throw e;
        }
    }

    /**
     * A {@link NonceStore} keeping its ids under {@code keyPrefix}, judged by the Redis server's clock,
     * so that every node sharing this Redis agrees on expiry whatever its own clock says.
     */
    public NonceStore nonceStore(String keyPrefix) {
        return new RedisNonceStore(connection, keyPrefix);
    }

    /**
     * Limits per key kept in Redis under {@code keyPrefix}: every decision is one atomic script on the
     * server's clock, and a concurrency permit not released within {@link #DEFAULT_CONCURRENCY_LEASE}
     * is freed by Redis.
     */
    public KeyedRateLimiter rateLimiter(String keyPrefix) {
        return rateLimiter(keyPrefix, DEFAULT_CONCURRENCY_LEASE);
    }

    /** As {@link #rateLimiter(String)}, freeing unreleased concurrency permits after {@code concurrencyLease}. */
    public KeyedRateLimiter rateLimiter(String keyPrefix, Duration concurrencyLease) {
        return new RedisKeyedRateLimiter(
                commands(),
                keyPrefix,
                Require.nanosAtLeast("concurrencyLease", concurrencyLease, 1_000_000) / 1_000,
                RedisKeyedRateLimiter.SERVER_CLOCK);
    }

    /**
     * The health of this Redis as the adapters built from it see it, probed with {@code PING} every
     * {@code probeInterval} on {@code scheduler} once it stops answering.
     */
    public StoreHealth health(Scheduler scheduler, Duration probeInterval) {
        return StoreHealth.create(description, this::ping, scheduler, probeInterval);
    }

    /** The shared connection's asynchronous commands, for adapters (and tests) in this package. */
    RedisAsyncCommands<String, String> commands() {
        return connection.async();
    }

    /** Returns when Redis answers a {@code PING} within the command timeout; throws otherwise. */
    public void ping() {
        try {
            connection.async().ping().get(commandTimeoutNanos, TimeUnit.NANOSECONDS);
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
