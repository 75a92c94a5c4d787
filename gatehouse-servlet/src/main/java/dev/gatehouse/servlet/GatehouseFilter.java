package dev.gatehouse.servlet;

import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.NanoClock;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Gatehouse in front of a servlet application: rate limits per path prefix and client key, and a
 * circuit breaker fed by the application's answers. A request under a limited prefix takes a permit
 * of its client's limiter ({@link KeyExtractor}: by default the peer's address); refused, it is
 * answered {@code 429 rate limit exceeded} with {@code Retry-After}, and every limited answer
 * carries {@code RateLimit} and {@code RateLimit-Policy}, as {@code gatehouse serve} answers. While
 * the breaker is open, requests are answered {@code 503 service temporarily unavailable} with
 * {@code Retry-After}; otherwise each answer's status (5xx: a failure, by default) and each exception
 * the application throws is recorded. A concurrency limit's permit is given back when the answer
 * ends (after an asynchronous request completes, too).
 *
 * <pre>{@code
 * GatehouseFilter filter = GatehouseFilter.builder()
 *         .limit("/api/", "api", LimitSpec.tokenBucket(100, 50, Duration.ofSeconds(1)))
 *         .keys(KeyExtractor.forwardedFor(1))
 *         .breaker(CircuitBreaker.create(CircuitBreakerSpec.builder().build()))
 *         .build();
 * servletContext.addFilter("gatehouse", filter).addMappingForUrlPatterns(null, false, "/*");
 * }</pre>
 */
public final class GatehouseFilter implements Filter {

    /** The body of a refusal by a limit, as {@code gatehouse serve} and Wicket's sidecar word it. */
    static final String RATE_LIMITED = "rate limit exceeded\n";

    /** The body of a refusal by the open breaker. */
    static final String BREAKER_OPEN = "service temporarily unavailable\n";

    /** The body of a refusal when the limits' store did not answer in time. */
    static final String STORE_UNAVAILABLE = "rate limit store unavailable\n";

    /** The most keys the default in-memory limiter holds (the least used are forgotten first). */
    static final int MAX_KEYS = 1_000_000;

    private record Rule(String prefix, String name, LimitSpec spec) {}

    private final List<Rule> rules; // the longest prefix first
    private final KeyExtractor keys;
    private final KeyedRateLimiter limiter;
    private final @Nullable CircuitBreaker breaker;
    private final NanoClock clock;
    private final long storeTimeoutNanos;
    private final boolean failOpen;

    private GatehouseFilter(Builder builder, KeyedRateLimiter limiter) {
        this.rules = builder.rules.stream()
                .sorted(Comparator.comparingInt((Rule rule) -> rule.prefix().length())
                        .reversed())
                .toList();
        this.keys = builder.keys;
        this.limiter = limiter;
        this.breaker = builder.breaker;
        this.clock = builder.clock;
        this.storeTimeoutNanos = builder.storeTimeout.toNanos();
        this.failOpen = builder.failOpen;
    }

    /** A builder of a filter; without a limit or a breaker, the filter passes everything. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse answer)) {
            chain.doFilter(request, response);
            return;
        }
        Optional<Rule> rule = rule(path(http));
        String limiterKey = null;
        Decision decision = null;
        if (rule.isPresent()) {
            limiterKey = rule.get().name() + "\u0000" + keys.keyOrAddress(new ServletRequestFacts(http));
            decision = decide(limiterKey, rule.get().spec());
            if (decision == null) {
                if (!failOpen) {
                    answer.setHeader("Retry-After", "1");
                    refuse(answer, 503, STORE_UNAVAILABLE);
                    return;
                }
            } else {
                answer.setHeader(
                        "RateLimit-Policy",
                        RateLimitFields.policy(rule.get().name(), rule.get().spec()));
                answer.setHeader("RateLimit", RateLimitFields.state(rule.get().name(), decision));
                if (!decision.allowed()) {
                    long retry = RateLimitFields.retryAfterSeconds(decision);
                    if (retry > 0) {
                        answer.setHeader("Retry-After", Long.toString(retry));
                    }
                    refuse(answer, 429, RATE_LIMITED);
                    return;
                }
            }
        }
        Runnable release = releaseOf(rule, limiterKey, decision);
        long permit = breaker == null ? 0 : breaker.tryAcquire();
        if (permit == CircuitBreaker.REJECTED) {
            release.run();
            CircuitBreaker open = breaker;
            long wait = open == null ? 0 : open.metrics().nanosUntilProbe();
            answer.setHeader("Retry-After", Long.toString(Math.max(1, RateLimitFields.ceilSeconds(wait))));
            refuse(answer, 503, BREAKER_OPEN);
            return;
        }
        pass(http, answer, chain, permit, release);
    }

    /** Runs the application, then records its outcome and gives the concurrency permit back, once the answer ends. */
    private void pass(
            HttpServletRequest request, HttpServletResponse response, FilterChain chain, long permit, Runnable release)
            throws IOException, ServletException {
        long start = clock.nowNanos();
        Outcome outcome = new Outcome(permit, start, release);
        try {
            chain.doFilter(request, response);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            outcome.failed(e);
            throw e;
        }
        if (request.isAsyncStarted()) {
            request.getAsyncContext().addListener(outcome);
        } else {
            outcome.answered(response.getStatus());
        }
    }

    /** What the breaker and the concurrency limit learn of one call, once. */
    private final class Outcome implements AsyncListener {
        private final long permit;
        private final long startNanos;
        private final Runnable release;
        private boolean done;

        Outcome(long permit, long startNanos, Runnable release) {
            this.permit = permit;
            this.startNanos = startNanos;
            this.release = release;
        }

        synchronized void answered(int status) {
            if (done) {
                return;
            }
            done = true;
            release.run();
            CircuitBreaker calls = breaker;
            if (calls != null) {
                calls.onStatus(permit, clock.nowNanos() - startNanos, status);
            }
        }

        synchronized void failed(Throwable error) {
            if (done) {
                return;
            }
            done = true;
            release.run();
            CircuitBreaker calls = breaker;
            if (calls != null) {
                calls.onError(permit, clock.nowNanos() - startNanos, error);
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            answered(((HttpServletResponse) event.getSuppliedResponse()).getStatus());
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            answered(HttpServletResponse.SC_GATEWAY_TIMEOUT);
        }

        @Override
        public void onError(AsyncEvent event) {
            Throwable error = event.getThrowable();
            failed(error == null ? new IOException("the asynchronous request failed") : error);
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this); // dispatched again: keep listening
        }
    }

    /**
     * The limiter's decision, waited for at most the store timeout; null when the store failed or did
     * not answer in time.
     */
    private @Nullable Decision decide(String key, LimitSpec spec) {
        try {
            return limiter.decide(key, spec, 1).toCompletableFuture().get(storeTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    /** Gives a concurrency limit's permit back (once); nothing for the other limits. */
    private Runnable releaseOf(Optional<Rule> rule, @Nullable String key, @Nullable Decision decision) {
        if (rule.isEmpty() || key == null || decision == null || !(rule.get().spec() instanceof ConcurrencySpec)) {
            return () -> {};
        }
        LimitSpec spec = rule.get().spec();
        long lease = decision.lease();
        return () -> limiter.release(key, spec, 1, lease);
    }

    private Optional<Rule> rule(String path) {
        for (Rule rule : rules) {
            if (path.startsWith(rule.prefix())) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    /** The request's path within the application, as the container decoded and normalised it. */
    private static String path(HttpServletRequest request) {
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        String path = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
        return path.isEmpty() ? "/" : path;
    }

    private static void refuse(HttpServletResponse response, int status, String text) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain; charset=UTF-8");
        response.setHeader("X-Content-Type-Options", "nosniff");
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Configures a {@link GatehouseFilter}. */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();
        private KeyExtractor keys = KeyExtractor.remoteAddress();
        private @Nullable KeyedRateLimiter limiter;
        private @Nullable CircuitBreaker breaker;
        private NanoClock clock = NanoClock.system();
        private Duration storeTimeout = Duration.ofSeconds(1);
        private boolean failOpen;

        private Builder() {}

        /** Limits every path by {@code spec}, under the policy {@code name} (as {@code RateLimit} names it). */
        public Builder limit(String name, LimitSpec spec) {
            return limit("/", name, spec);
        }

        /**
         * Limits the paths under {@code prefix} (within the application, as {@code /api/}) by {@code
         * spec}, under the policy {@code name}; of several prefixes a path is under, the longest
         * applies. Each client has its own limiter per policy.
         */
        public Builder limit(String prefix, String name, LimitSpec spec) {
            Require.given("prefix", prefix, "a path prefix");
            if (!prefix.startsWith("/")) {
                throw new IllegalArgumentException("prefix: \"" + prefix + "\" (expected: a path, /...)");
            }
            if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalArgumentException(
                        "name: \"" + name + "\" (expected: 1 to 64 of A-Z a-z 0-9 _ . -, a RateLimit policy name)");
            }
            if (rules.stream().anyMatch(rule -> rule.prefix().equals(prefix))) {
                throw new IllegalArgumentException("prefix: \"" + prefix + "\" has a limit already");
            }
            rules.add(new Rule(prefix, name, Require.given("spec", spec, "a limit spec")));
            return this;
        }

        /** Whose request it is: the key each client's limiters are kept under (by default the peer's address). */
        public Builder keys(KeyExtractor keys) {
            this.keys = Require.given("keys", keys, "a key extractor");
            return this;
        }

        /**
         * Where the limits' state lives: a Redis limiter shares it between the application's
         * instances; by default, in this process (at most a million clients, the least recently seen
         * forgotten first).
         */
        public Builder limiter(KeyedRateLimiter limiter) {
            this.limiter = Require.given("limiter", limiter, "a keyed rate limiter");
            return this;
        }

        /** The breaker in front of the application, fed by its answers. */
        public Builder breaker(CircuitBreaker breaker) {
            this.breaker = Require.given("breaker", breaker, "a circuit breaker");
            return this;
        }

        /** The clock of the default limiter and of call durations (a fake one in tests). */
        public Builder clock(NanoClock clock) {
            this.clock = Require.given("clock", clock, "a clock");
            return this;
        }

        /**
         * How long a request waits for the limits' store (default 1 s); past it, or when the store
         * fails, the request is refused with 503 — or, with {@link #failOpen()}, let through.
         */
        public Builder storeTimeout(Duration timeout) {
            this.storeTimeout = Duration.ofNanos(Require.nanosAtLeast("storeTimeout", timeout, 1));
            return this;
        }

        /** Lets a request through when the limits' store fails or is late, instead of refusing it. */
        public Builder failOpen() {
            this.failOpen = true;
            return this;
        }

        public GatehouseFilter build() {
            KeyedRateLimiter chosen = limiter;
            if (chosen == null) {
                chosen = KeyedRateLimiter.inMemory(LimiterRegistry.forSpecs(Builder::noDefaultSpec, clock)
                        .idleTime(LimitSpec::idleNanos)
                        .maximumKeys(MAX_KEYS)
                        .build());
            }
            return new GatehouseFilter(this, chosen);
        }

        private static LimitSpec noDefaultSpec(String key) {
            throw new IllegalStateException("every limit is asked for with its spec: " + key);
        }
    }
}
