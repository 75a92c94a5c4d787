package dev.gatehouse.spring;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.redis.RedisBackend;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Limits and spent challenges in Redis, shared by every instance of the application: on Gatehouse's
 * own connection ({@code gatehouse-redis}, on Lettuce) to {@code gatehouse.redis.url}, or to the Redis
 * Spring Data Redis is configured for ({@code spring.data.redis.url} as it is, {@code rediss://}
 * included; or its host or cluster nodes with their user, password, database and {@code
 * ssl.enabled}). A TLS setup with its own trust store (an SSL bundle) takes the JVM's trust store
 * here. {@code gatehouse.redis.enabled: false} keeps the state in the process.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(RedisBackend.class)
@ConditionalOnProperty(prefix = "gatehouse.redis", name = "enabled", havingValue = "true", matchIfMissing = true)
@Conditional(GatehouseRedisConfiguration.OnRedis.class)
class GatehouseRedisConfiguration {

    /** Gatehouse's connection to Redis, closed with the application. */
    @Bean(destroyMethod = "close")
    RedisBackend gatehouseRedis(
            GatehouseProperties properties, ObjectProvider<ConnectionDetailsUri> springData, Environment environment) {
        GatehouseProperties.Redis redis = properties.redis();
        String url = redis.url();
        if (url == null || url.isBlank()) { // Spring Data's URL as it is: rediss:// keeps its TLS
            url = environment.getProperty("spring.data.redis.url");
        }
        if (url != null && !url.isBlank()) {
            return RedisBackend.connect(url, redis.commandTimeout());
        }
        ConnectionDetailsUri details = springData.getIfAvailable();
        if (details == null) {
            throw new IllegalStateException(
                    "gatehouse.redis: neither gatehouse.redis.url nor spring.data.redis is set");
        }
        List<String> uris = details.uris();
        return uris.size() == 1
                ? RedisBackend.connect(uris.getFirst(), redis.commandTimeout())
                : RedisBackend.connectCluster(uris, redis.commandTimeout());
    }

    /** The limits, kept under {@code <key-prefix>limits:}. */
    @Bean(GatehouseAutoConfiguration.SHARED_LIMITER)
    KeyedRateLimiter gatehouseSharedLimiter(RedisBackend redis, GatehouseProperties properties) {
        return redis.rateLimiter(properties.redis().keyPrefix() + "limits:");
    }

    /** The spent challenges, kept under {@code <key-prefix>pow:}. */
    @Bean(GatehouseAutoConfiguration.SHARED_NONCES)
    NonceStore gatehouseSharedNonces(RedisBackend redis, GatehouseProperties properties) {
        return redis.nonceStore(properties.redis().keyPrefix() + "pow:");
    }

    /** Asks the store whether it answers: returns when it does, throws otherwise (for the health indicator). */
    @FunctionalInterface
    interface StoreProbe {
        void ping();
    }

    @Bean
    StoreProbe gatehouseStoreProbe(RedisBackend redis) {
        return redis::ping;
    }

    static final String SPRING_DATA_DETAILS =
            "org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails";

    /** Where Spring Data Redis connects, as URIs Gatehouse connects to. */
    @FunctionalInterface
    interface ConnectionDetailsUri {
        List<String> uris();
    }

    /**
     * Spring Data Redis's connection details as {@code redis://} URIs; its types are named only in
     * here, so the rest loads without that module.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = SPRING_DATA_DETAILS)
    static class SpringDataRedis {
        @Bean
        @ConditionalOnBean(type = SPRING_DATA_DETAILS)
        ConnectionDetailsUri gatehouseSpringDataRedisUri(DataRedisConnectionDetails details, Environment environment) {
            boolean ssl = environment.getProperty("spring.data.redis.ssl.enabled", Boolean.class, false);
            return () -> uris(details, ssl);
        }

        static List<String> uris(DataRedisConnectionDetails details, boolean sslEnabled) {
            String scheme = details.getSslBundle() == null && !sslEnabled ? "redis://" : "rediss://";
            String credentials = credentials(details.getUsername(), details.getPassword());
            DataRedisConnectionDetails.Cluster cluster = details.getCluster();
            if (cluster != null) {
                return cluster.getNodes().stream()
                        .map(node -> scheme + credentials + host(node.host()) + ":" + node.port())
                        .toList();
            }
            if (details.getSentinel() != null || details.getMasterReplica() != null) {
                throw new IllegalStateException("spring.data.redis: Gatehouse connects to a standalone Redis or a"
                        + " cluster; for sentinels or replicas set gatehouse.redis.url (redis-sentinel://...)");
            }
            DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
            if (standalone == null) {
                throw new IllegalStateException("spring.data.redis: no host to connect to");
            }
            return List.of(scheme + credentials + host(standalone.getHost()) + ":" + standalone.getPort() + "/"
                    + standalone.getDatabase());
        }

        private static String host(String host) {
            return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        }

        private static String credentials(@Nullable String user, @Nullable String password) {
            if (password == null || password.isEmpty()) {
                return "";
            }
            String secret = URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
            String name = user == null || user.isEmpty()
                    ? ""
                    : URLEncoder.encode(user, StandardCharsets.UTF_8).replace("+", "%20");
            return name + ":" + secret + "@";
        }
    }

    /** Redis is wanted: Gatehouse's own URL is set, or Spring Data Redis's address is. */
    static final class OnRedis extends AnyNestedCondition {
        OnRedis() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnExpression("!'${gatehouse.redis.url:}'.isBlank()")
        static final class OwnUrl {}

        // set explicitly: Spring Data Redis on the class path alone means localhost:6379, which may be no Redis at all
        @ConditionalOnProperty(prefix = "spring.data.redis", name = "url")
        static final class SpringDataUrl {}

        @ConditionalOnProperty(prefix = "spring.data.redis", name = "host")
        static final class SpringDataHost {}

        @ConditionalOnProperty(prefix = "spring.data.redis.cluster", name = "nodes")
        static final class SpringDataCluster {}
    }
}
