package dev.gatehouse.spring;

import dev.gatehouse.core.adaptive.AdaptiveSpec;
import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Gatehouse in a Spring Boot application, as {@code application.yml} configures it under {@code
 * gatehouse}. Each part is off until configured: no limit, no breaker, no adaptive limit, no proof of
 * work; an application with none of them gets a filter that lets everything through.
 *
 * @param enabled whether the starter installs its filters (default true)
 * @param key whose request it is, for every limit without its own {@code key}
 * @param limits limits per path and client key; of several paths a request is under, the longest applies
 * @param exclude paths no limit, breaker or adaptive limit judges (the actuator's are never judged)
 * @param breaker the circuit breaker in front of the application
 * @param adaptive the adaptive limit on the application's work in flight
 * @param proofOfWork paths whose requests must carry a solved challenge
 * @param redis where limits and spent challenges live when they are shared between instances
 * @param storeTimeout how long a request waits for the limits' store before it is refused (or let through)
 * @param failOpen let requests through when the limits' store fails or is late, instead of 503
 * @param filterOrder the filters' place in the servlet filter chain: after Spring Security's (-100)
 *     by default, so that keys by principal see the signed-in user
 */
@ConfigurationProperties("gatehouse")
public record GatehouseProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue Key key,
        @DefaultValue List<Limit> limits,
        @DefaultValue List<String> exclude,
        @DefaultValue Breaker breaker,
        @DefaultValue Adaptive adaptive,
        @DefaultValue ProofOfWork proofOfWork,
        @DefaultValue Redis redis,
        @DefaultValue("1s") Duration storeTimeout,
        @DefaultValue("false") boolean failOpen,
        @DefaultValue("-50") int filterOrder) {

    /**
     * The path prefix a configured path stands for: {@code /api/} as it is, {@code /api/**} as {@code
     * /api/}; other patterns are refused, naming the setting {@code where}.
     */
    static String prefixOf(@Nullable String path, String where) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException(where + ": " + (path == null ? "missing" : "\"" + path + "\"")
                    + " (expected: /..., a path prefix)");
        }
        String prefix = path.endsWith("/**") ? path.substring(0, path.length() - 2) : path;
        if (prefix.contains("*") || prefix.contains("{")) {
            throw new IllegalArgumentException(where + ": \"" + path
                    + "\" (expected: a path prefix, /api/, or one ending in /**: no other patterns)");
        }
        return prefix;
    }

    /** Where a key comes from; every key falls back to the peer's address when its source finds none. */
    public enum KeySource {
        /** The peer's address. */
        REMOTE_ADDRESS,
        /** The peer's network ({@code ipv4-bits}, {@code ipv6-bits}). */
        NETWORK,
        /** {@code X-Forwarded-For}, {@code trusted-hops} entries from the right. */
        FORWARDED_FOR,
        /** The header {@code name}. */
        HEADER,
        /** The cookie {@code name}. */
        COOKIE,
        /** A hash of the API key in the header {@code name} (or {@code Authorization: Bearer}). */
        API_KEY,
        /** The authenticated user. */
        PRINCIPAL
    }

    /**
     * Whose request it is.
     *
     * @param source where the key comes from (default: the peer's address)
     * @param name the header or cookie read by {@code header}, {@code cookie} and {@code api-key}
     * @param trustedHops proxies in front of the application, for {@code forwarded-for}
     * @param ipv4Bits the network's prefix length for IPv4 clients, for {@code network}
     * @param ipv6Bits the network's prefix length for IPv6 clients, for {@code network}
     */
    public record Key(
            @DefaultValue("remote-address") KeySource source,
            @Nullable String name,
            @DefaultValue("1") int trustedHops,
            @DefaultValue("32") int ipv4Bits,
            @DefaultValue("64") int ipv6Bits) {

        /** The extractor this describes; {@code where} names the setting in messages. */
        KeyExtractor extractor(String where) {
            return switch (source) {
                case REMOTE_ADDRESS -> KeyExtractor.remoteAddress();
                case NETWORK -> KeyExtractor.remoteNetwork(ipv4Bits, ipv6Bits);
                case FORWARDED_FOR -> KeyExtractor.forwardedFor(trustedHops);
                case HEADER -> KeyExtractor.header(named(where));
                case COOKIE -> KeyExtractor.cookie(named(where));
                case API_KEY -> KeyExtractor.apiKey(named(where));
                case PRINCIPAL -> KeyExtractor.principal();
            };
        }

        private String named(String where) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException(where + ".name: missing (expected: the header or cookie the "
                        + source.name().toLowerCase(Locale.ROOT).replace('_', '-') + " key is read from)");
            }
            return name;
        }
    }

    /** How a limit counts. */
    public enum Algorithm {
        /** {@code limit} permits at most, refilled by {@code refill} every {@code period}. */
        TOKEN_BUCKET,
        /** {@code limit} requests per {@code period}, counted in fixed windows. */
        FIXED_WINDOW,
        /** {@code limit} requests in any {@code period}. */
        SLIDING_WINDOW,
        /** {@code limit} requests in flight at once. */
        CONCURRENCY
    }

    /**
     * A limit per client on the paths under {@code path}.
     *
     * @param path a path within the application: {@code /api/} (a prefix) or {@code /api/**}
     * @param name the policy's name, as {@code RateLimit} and the metrics show it
     * @param algorithm how it counts (default: a token bucket)
     * @param limit the capacity, requests per window, or requests in flight
     * @param refill a token bucket's permits per {@code period} (default: {@code limit})
     * @param period a token bucket's refill period or a window's length
     * @param key whose request it is, for this limit (default: the starter's {@code key})
     */
    public record Limit(
            @Nullable String path,
            @Nullable String name,
            @DefaultValue("token-bucket") Algorithm algorithm,
            long limit,
            long refill,
            @DefaultValue("1s") Duration period,
            @Nullable Key key) {

        /** The prefix {@code path} stands for: {@code /api/**} is {@code /api/}. */
        String prefix(String where) {
            return prefixOf(path, where + ".path");
        }

        /** The policy's name: {@code name}, else one made of the path. */
        String policy(String where) {
            if (name != null) {
                return name;
            }
            String made = prefix(where).replaceAll("[^A-Za-z0-9_.-]+", "_").replaceAll("^_+|_+$", "");
            return made.isEmpty() ? "all" : made;
        }

        /** The spec this describes. */
        LimitSpec spec(String where) {
            if (limit < 1) {
                throw new IllegalArgumentException(where + ".limit: " + limit + " (expected: at least 1)");
            }
            return switch (algorithm) {
                case TOKEN_BUCKET -> LimitSpec.tokenBucket(limit, refill == 0 ? limit : refill, period);
                case FIXED_WINDOW -> LimitSpec.fixedWindow(limit, period);
                case SLIDING_WINDOW -> LimitSpec.slidingWindow(limit, period);
                case CONCURRENCY -> LimitSpec.concurrency(limit);
            };
        }
    }

    /**
     * The breaker, fed by the application's answers (5xx and exceptions are failures).
     *
     * @param enabled whether there is one
     * @param paths the paths it guards and learns from (prefixes, or {@code /x/**}): those that call
     *     the dependency it protects; every path when empty (then any client's 5xx feeds it)
     * @param failureRatio the failure ratio in (0, 1] that trips it
     * @param minimumCalls calls the window must hold before the ratio counts
     * @param window the window outcomes are counted over
     * @param windowBuckets the window's resolution
     * @param consecutiveFailures failures in a row that trip it, whatever the ratio (0: off)
     * @param cooldown how long it stays open before probing
     * @param halfOpenProbes probes let through while half-open (that many successes close it)
     */
    public record Breaker(
            @DefaultValue("false") boolean enabled,
            @DefaultValue List<String> paths,
            @DefaultValue("0.5") double failureRatio,
            @DefaultValue("20") int minimumCalls,
            @DefaultValue("60s") Duration window,
            @DefaultValue("60") int windowBuckets,
            @DefaultValue("0") int consecutiveFailures,
            @DefaultValue("30s") Duration cooldown,
            @DefaultValue("5") int halfOpenProbes) {

        /** The prefixes of {@code paths}. */
        List<String> prefixes() {
            java.util.List<String> prefixes = new java.util.ArrayList<>();
            for (int i = 0; i < paths.size(); i++) {
                prefixes.add(prefixOf(paths.get(i), "gatehouse.breaker.paths[" + i + "]"));
            }
            return prefixes;
        }

        CircuitBreakerSpec spec(NanoClock clock) {
            return CircuitBreakerSpec.builder()
                    .clock(clock)
                    .failureRatio(failureRatio)
                    .minimumCalls(minimumCalls)
                    .timeWindow(window, windowBuckets)
                    .consecutiveFailures(consecutiveFailures)
                    .cooldown(cooldown)
                    .halfOpen(halfOpenProbes, cooldown)
                    .build();
        }
    }

    /** How an adaptive limit moves. */
    public enum AdaptiveAlgorithm {
        /** By the latency's gradient against its long-term average. */
        GRADIENT,
        /** Additive increase, multiplicative decrease on drops. */
        AIMD
    }

    /**
     * The adaptive limit on work in flight: past it a request is shed with 503.
     *
     * @param enabled whether there is one
     * @param algorithm how it moves
     * @param initialLimit where it starts
     * @param minLimit its floor
     * @param maxLimit its ceiling
     */
    public record Adaptive(
            @DefaultValue("false") boolean enabled,
            @DefaultValue("gradient") AdaptiveAlgorithm algorithm,
            @DefaultValue("20") int initialLimit,
            @DefaultValue("1") int minLimit,
            @DefaultValue("1000") int maxLimit) {

        AdaptiveSpec spec() {
            return switch (algorithm) {
                case GRADIENT -> AdaptiveSpec.gradient(initialLimit, minLimit, maxLimit);
                case AIMD -> AdaptiveSpec.aimd(initialLimit, minLimit, maxLimit);
            };
        }
    }

    /**
     * Paths whose requests must carry a solved SHA-256 challenge ({@code X-Gatehouse-Pow-Id}, {@code
     * X-Gatehouse-Pow-Nonce}); without one, a request is answered 428 with a fresh challenge.
     *
     * @param protect path prefixes (or {@code /x/**}); none by default
     * @param difficulty leading zero bits a solution's hash must have (1 to 32)
     * @param secret the key challenges are signed with (at least 16 bytes); instances sharing one
     *     Redis must share it; random per process when absent
     * @param challengeTtl how long a challenge may be solved
     */
    public record ProofOfWork(
            @DefaultValue List<String> protect,
            @DefaultValue("16") int difficulty,
            @Nullable String secret,
            @DefaultValue("5m") Duration challengeTtl) {

        @Override
        public String toString() { // never the secret
            return "ProofOfWork[protect=" + protect + ", difficulty=" + difficulty + ", secret="
                    + (secret == null ? "(none)" : "(set)") + ", challengeTtl=" + challengeTtl + "]";
        }
    }

    /**
     * Where limits and spent challenges live. With {@code url} set, or Spring Data Redis configured
     * ({@code spring.data.redis.url}, {@code .host} or {@code .cluster.nodes} set) and {@code enabled}
     * not false, in Redis: shared by every instance.
     *
     * @param enabled false keeps the state in the process even when Spring Data Redis is configured
     * @param url a {@code redis://} URI of Gatehouse's own connection
     * @param keyPrefix the prefix of every key Gatehouse writes
     * @param commandTimeout how long a Redis command may take
     */
    public record Redis(
            @DefaultValue("true") boolean enabled,
            @Nullable String url,
            @DefaultValue("gatehouse:") String keyPrefix,
            @DefaultValue("500ms") Duration commandTimeout) {

        @Override
        public String toString() { // never the URL: it may hold a password
            return "Redis[enabled=" + enabled + ", url=" + (url == null ? "(none)" : "(set)") + ", keyPrefix="
                    + keyPrefix + ", commandTimeout=" + commandTimeout + "]";
        }
    }
}
