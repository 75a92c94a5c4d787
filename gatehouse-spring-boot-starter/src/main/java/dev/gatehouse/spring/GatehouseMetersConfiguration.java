package dev.gatehouse.spring;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@link GatehouseMeters} and the breaker's and adaptive limit's gauges, when the application has a Micrometer registry. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
class GatehouseMetersConfiguration {

    @Bean
    GatehouseMeters gatehouseMeters(
            MeterRegistry registry,
            @Qualifier(GatehouseAutoConfiguration.BREAKER) ObjectProvider<CircuitBreaker> breaker,
            @Qualifier(GatehouseAutoConfiguration.ADAPTIVE) ObjectProvider<AdaptiveLimiter> adaptive) {
        breaker.ifAvailable(calls -> Gauge.builder("gatehouse.breaker.state", () -> switch (calls.state()) {
                    case OPEN, FORCED_OPEN -> 1;
                    case HALF_OPEN -> 2;
                    default -> 0;
                })
                .description("The breaker in front of the application: 0 closed, 1 open, 2 half-open")
                .register(registry));
        adaptive.ifAvailable(work -> {
            Gauge.builder("gatehouse.adaptive.limit", work::limit)
                    .description("The adaptive limit on the application's work in flight")
                    .register(registry);
            Gauge.builder("gatehouse.adaptive.inflight", work::inFlight)
                    .description("Requests in flight under the adaptive limit")
                    .register(registry);
        });
        return new GatehouseMeters(registry);
    }
}
