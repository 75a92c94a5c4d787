package dev.gatehouse.redis;

import dev.gatehouse.proof.nonce.NonceStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;

/**
 * One connection to Redis (or Valkey) shared by every adapter built from it. Commands from many
 * threads are pipelined on the connection, so there is no connection per request.
 */
public final class RedisBackend implements AutoCloseable {

    /** How long a command may take before the adapter treats Redis as unavailable. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    private RedisBackend(RedisClient client, StatefulRedisConnection<String, String> connection) {
        this.client = client;
        this.connection = connection;
    }

    /** Connects to {@code uri}, for example {@code redis://127.0.0.1:6379}. */
    public static RedisBackend connect(String uri) {
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(COMMAND_TIMEOUT);
        RedisClient client = RedisClient.create(redisUri);
        try {
            return new RedisBackend(client, client.connect());
        } catch (RuntimeException e) {
            client.shutdown();
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

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
