package dev.gatehouse.spring;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.gate.AdmissionGate;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.pow.PowSpec;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.servlet.GatehouseFilter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Gatehouse in a Spring Boot servlet application, from {@code application.yml} ({@link
 * GatehouseProperties}): an {@link AdmissionGate} with the configured limits, breaker and adaptive
 * limit, in a {@link GatehouseFilter} over every path, and a {@link ProofOfWorkFilter} over the paths
 * that ask for work. Each bean backs off when the application defines its own: a {@link KeyExtractor}
 * bean replaces {@code gatehouse.key}, an {@link AdmissionGate} bean the whole configured gate. With
 * Redis ({@link GatehouseRedisConfiguration}) the limits and spent challenges are shared between
 * instances; with Micrometer the verdicts are counted in the application's registry ({@link
 * GatehouseMetersConfiguration}); with the actuator, {@code /actuator/health} shows the gate ({@link
 * GatehouseHealthConfiguration}). Beans Gatehouse takes from the application go by name, never by
 * type alone: {@code gatehouseBreaker}, {@code gatehouseAdaptive}, {@code gatehouseClock} (the clock
 * of the in-process limits, the breaker and the adaptive limit: a manual one in tests). The actuator's
 * endpoints and the paths of {@code gatehouse.exclude} are not judged.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"
        })
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "gatehouse", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(GatehouseProperties.class)
@Import({GatehouseRedisConfiguration.class, GatehouseMetersConfiguration.class, GatehouseHealthConfiguration.class})
public class GatehouseAutoConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GatehouseAutoConfiguration.class);

    /** The names of Gatehouse's own beans: an application's bean of the same type under another name is left alone. */
    static final String BREAKER = "gatehouseBreaker";

    static final String ADAPTIVE = "gatehouseAdaptive";
    static final String CLOCK = "gatehouseClock";
    static final String SHARED_LIMITER = "gatehouseSharedLimiter";
    static final String SHARED_NONCES = "gatehouseSharedNonces";

    /** The most spent challenges the in-process record keeps (each lives until its challenge expires). */
    static final int MAX_SPENT_CHALLENGES = 1_000_000;

    /** Whose request it is, for the limits without a key of their own. */
    @Bean
    @ConditionalOnMissingBean
    public KeyExtractor gatehouseKeys(GatehouseProperties properties) {
        return properties.key().extractor("gatehouse.key");
    }

    /** The breaker in front of the application, when {@code gatehouse.breaker.enabled}. */
    @Bean(BREAKER)
    @ConditionalOnMissingBean(name = BREAKER)
    @ConditionalOnProperty(prefix = "gatehouse.breaker", name = "enabled", havingValue = "true")
    public CircuitBreaker gatehouseBreaker(
            GatehouseProperties properties, @Qualifier(CLOCK) ObjectProvider<NanoClock> clock) {
        return CircuitBreaker.create(properties.breaker().spec(clock.getIfAvailable(NanoClock::system)));
    }

    /** The adaptive limit on work in flight, when {@code gatehouse.adaptive.enabled}. */
    @Bean(ADAPTIVE)
    @ConditionalOnMissingBean(name = ADAPTIVE)
    @ConditionalOnProperty(prefix = "gatehouse.adaptive", name = "enabled", havingValue = "true")
    public AdaptiveLimiter gatehouseAdaptive(
            GatehouseProperties properties, @Qualifier(CLOCK) ObjectProvider<NanoClock> clock) {
        return AdaptiveLimiter.create(properties.adaptive().spec().withClock(clock.getIfAvailable(NanoClock::system)));
    }

    /** The gate: the configured limits, then the breaker, then the adaptive limit. */
    @Bean
    @ConditionalOnMissingBean
    public AdmissionGate gatehouseGate(
            GatehouseProperties properties,
            KeyExtractor keys,
            @Qualifier(BREAKER) ObjectProvider<CircuitBreaker> breaker,
            @Qualifier(ADAPTIVE) ObjectProvider<AdaptiveLimiter> adaptive,
            @Qualifier(SHARED_LIMITER) ObjectProvider<KeyedRateLimiter> sharedLimiter,
            ObjectProvider<AdmissionGate.Listener> listeners,
            @Qualifier(CLOCK) ObjectProvider<NanoClock> clock,
            Environment environment) {
        AdmissionGate.Builder gate = AdmissionGate.builder().keys(keys).storeTimeout(properties.storeTimeout());
        List<GatehouseProperties.Limit> limits = properties.limits();
        for (int i = 0; i < limits.size(); i++) {
            GatehouseProperties.Limit limit = limits.get(i);
            String where = "gatehouse.limits[" + i + "]";
            GatehouseProperties.Key own = limit.key();
            if (own == null) {
                gate.limit(limit.prefix(where), limit.policy(where), limit.spec(where));
            } else {
                gate.limit(limit.prefix(where), limit.policy(where), limit.spec(where), own.extractor(where + ".key"));
            }
        }
        clock.ifAvailable(gate::clock);
        // the actuator's endpoints are never judged: a health check's 503 while Redis is down must
        // not open the breaker in front of the whole application
        gate.exclude(managementBasePath(environment) + "/");
        // nor is the error page: a client asking for it directly gets a 500 that is no failure of the application
        gate.exclude(environment.getProperty("server.error.path", "/error") + "/");
        for (int i = 0; i < properties.exclude().size(); i++) {
            gate.exclude(GatehouseProperties.prefixOf(properties.exclude().get(i), "gatehouse.exclude[" + i + "]"));
        }
        breaker.ifAvailable(calls -> gate.breaker(calls, properties.breaker().prefixes()));
        adaptive.ifAvailable(gate::adaptive);
        sharedLimiter.ifAvailable(gate::limiter);
        List<AdmissionGate.Listener> heard = listeners.orderedStream().toList();
        if (!heard.isEmpty()) {
            gate.listener((policy, outcome) -> heard.forEach(listener -> listener.judged(policy, outcome)));
        }
        if (properties.failOpen()) {
            gate.failOpen();
        }
        return gate.build();
    }

    /** The gate in the servlet filter chain, over every path. */
    @Bean
    public FilterRegistrationBean<GatehouseFilter> gatehouseFilter(AdmissionGate gate, GatehouseProperties properties) {
        FilterRegistrationBean<GatehouseFilter> registration = new FilterRegistrationBean<>(new GatehouseFilter(gate));
        registration.setName("gatehouse");
        registration.setOrder(properties.filterOrder());
        registration.setAsyncSupported(true);
        return registration;
    }

    /** The proof of work over {@code gatehouse.proof-of-work.protect}, just after the gate. */
    @Bean
    @Conditional(OnProofOfWork.class)
    public FilterRegistrationBean<ProofOfWorkFilter> gatehouseProofOfWorkFilter(
            GatehouseProperties properties,
            @Qualifier(SHARED_NONCES) ObjectProvider<NonceStore> sharedNonces,
            ObjectProvider<ProofOfWorkFilter.Listener> listener) {
        GatehouseProperties.ProofOfWork settings = properties.proofOfWork();
        List<String> prefixes = protectedPrefixes(settings.protect());
        NonceStore nonces = sharedNonces.getIfAvailable(
                () -> NonceStore.inMemory(WallClock.system(), NanoClock.system(), MAX_SPENT_CHALLENGES));
        ProofOfWork work = ProofOfWork.sha256(
                PowSpec.of(settings.difficulty(), settings.difficulty(), settings.challengeTtl()),
                HmacSecrets.of(secret(settings.secret())),
                nonces,
                WallClock.system());
        ProofOfWorkFilter filter = new ProofOfWorkFilter(work, prefixes, listener.getIfAvailable(() -> NO_LISTENER));
        FilterRegistrationBean<ProofOfWorkFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("gatehouseProofOfWork");
        registration.setOrder(properties.filterOrder() + 1);
        return registration;
    }

    private static final ProofOfWorkFilter.Listener NO_LISTENER = new ProofOfWorkFilter.Listener() {
        @Override
        public void issued() {}

        @Override
        public void verified(boolean accepted) {}
    };

    private static String managementBasePath(Environment environment) {
        String base = environment.getProperty("management.endpoints.web.base-path", "/actuator");
        String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return trimmed.startsWith("/") ? trimmed : "/" + trimmed;
    }

    private static List<String> protectedPrefixes(List<String> paths) {
        Set<String> prefixes = new LinkedHashSet<>();
        for (int i = 0; i < paths.size(); i++) {
            prefixes.add(GatehouseProperties.prefixOf(paths.get(i), "gatehouse.proof-of-work.protect[" + i + "]"));
        }
        return List.copyOf(prefixes);
    }

    private static byte[] secret(@Nullable String configured) {
        if (configured != null && !configured.isEmpty()) { // empty: unset (a ${VAR:} with no VAR)
            byte[] bytes = configured.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < HmacSecrets.MIN_SECRET_BYTES) {
                throw new IllegalArgumentException("gatehouse.proof-of-work.secret: " + bytes.length
                        + " bytes (expected: at least " + HmacSecrets.MIN_SECRET_BYTES + ")");
            }
            return bytes;
        }
        LOG.warn("gatehouse.proof-of-work.secret is not set: challenges are signed with a key random to this"
                + " process, so another instance refuses them; set the same secret on every instance");
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return random;
    }

    /** Some path asks for a proof of work: {@code gatehouse.proof-of-work.protect} lists one. */
    static final class OnProofOfWork implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Binder.get(context.getEnvironment())
                    .bind("gatehouse.proof-of-work.protect", Bindable.listOf(String.class))
                    .map(paths -> !paths.isEmpty())
                    .orElse(false);
        }
    }
}
