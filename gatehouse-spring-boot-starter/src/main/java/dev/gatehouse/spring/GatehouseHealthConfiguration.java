package dev.gatehouse.spring;

import dev.gatehouse.core.breaker.CircuitBreaker;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code gatehouse} in the actuator's health: down while the shared store (Redis) does not answer a
 * {@code PING} (requests under limits are then refused, or let through with {@code fail-open}), with
 * the store and the breaker's state as details. An open breaker leaves the application up: the gate
 * is doing its work.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(HealthIndicator.class)
class GatehouseHealthConfiguration {

    @Bean
    HealthIndicator gatehouseHealthIndicator(
            ObjectProvider<GatehouseRedisConfiguration.StoreProbe> redis,
            @Qualifier(GatehouseAutoConfiguration.BREAKER) ObjectProvider<CircuitBreaker> breaker) {
        return () -> {
            Health.Builder health = Health.up();
            GatehouseRedisConfiguration.StoreProbe store = redis.getIfAvailable();
            health.withDetail("store", store == null ? "memory" : "redis");
            breaker.ifAvailable(
                    calls -> health.withDetail("breaker", calls.state().name()));
            if (store != null) {
                try {
                    store.ping();
                } catch (RuntimeException e) {
                    return health.down(e).build();
                }
            }
            return health.build();
        };
    }
}
