package dev.gatehouse.core.gate;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.key.RequestFacts;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.ConcurrencySpec;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Judges requests in front of an application: rate limits per path prefix and client key, a
 * circuit breaker fed by the application's answers, and an adaptive limit on work in flight fed by
 * their latency. A request under a limited prefix takes a permit
 * of its client's limiter ({@link KeyExtractor}: by default the peer's address); refused, it is to be
 * answered {@code 429 rate limit exceeded} with {@code Retry-After}, and every limited answer carries
 * {@code RateLimit} and {@code RateLimit-Policy}, as {@code gatehouse serve} answers. While the
 * breaker is open, or the adaptive limit is reached (the request is shed), requests are to be
 * answered {@code 503 service temporarily unavailable} with {@code Retry-After}. A request let through is a {@link Call}: its answer's status (5xx: a failure,
 * by default) or its exception is recorded, and a concurrency limit's permit given back, once.
 */
public final class AdmissionGate {

    /** The body of a refusal by a limit, as {@code gatehouse serve} and Wicket's sidecar word it. */
    public static final String RATE_LIMITED = "rate limit exceeded\n";

    /** The body of a refusal by the open breaker. */
    public static final String BREAKER_OPEN = "service temporarily unavailable\n";

    /** The body of a refusal when the limits' store did not answer in time. */
    public static final String STORE_UNAVAILABLE = "rate limit store unavailable\n";

    /** The most keys the default in-memory limiter holds (the least recently seen are forgotten first). */
    public static final int MAX_KEYS = 1_000_000;

    private static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private record Rule(
            String prefix,
            String name,
            LimitSpec spec,
            @Nullable KeyExtractor keys) {}

    /** How the gate judged a request, as {@link Listener} hears it. */
    public enum Outcome {
        /** Let through. */
        ADMITTED,
        /** Refused by its limit: 429. */
        RATE_LIMITED,
        /** Refused while the breaker is open: 503. */
        BREAKER_OPEN,
        /** Refused past the adaptive limit on work in flight: 503. */
        SHED,
        /** Refused because the limits' store failed or was late: 503. */
        STORE_UNAVAILABLE
    }

    /** Hears every verdict, for metrics; called on the judging thread, so it must be quick and not throw. */
    @FunctionalInterface
    public interface Listener {
        /** A request was judged {@code outcome} under the policy {@code policy} (empty: no limit covers its path). */
        void judged(String policy, Outcome outcome);
    }

    /** What to answer a request: let it through (as a {@link Call}), or refuse it. */
    public sealed interface Verdict {
        /** Headers to set on the answer, whichever it is ({@code RateLimit}, {@code Retry-After}). */
        Map<String, String> headers();
    }

    /** Let the request through; report its end to {@code call}. */
    public record Pass(Map<String, String> headers, Call call) implements Verdict {}

    /** Answer {@code status} with {@code body} (text/plain; UTF-8) and {@code headers}, without calling the application. */
    public record Refuse(int status, String body, Map<String, String> headers) implements Verdict {}

    private final List<Rule> rules; // the longest prefix first
    private final KeyExtractor keys;
    private final KeyedRateLimiter limiter;
    private final @Nullable CircuitBreaker breaker;
    private final @Nullable AdaptiveLimiter adaptive;
    private final NanoClock clock;
    private final long storeTimeoutNanos;
    private final boolean failOpen;
    private final Listener listener;
    private final List<String> exclusions;
    private final List<String> breakerPaths;

    private AdmissionGate(Builder builder, KeyedRateLimiter limiter) {
        this.rules = builder.rules.stream()
                .map(
                        rule -> { // a limit's own keys fall back to the gate's, then the address
                            KeyExtractor own = rule.keys();
                            return own == null
                                    ? rule
                                    : new Rule(rule.prefix(), rule.name(), rule.spec(), own.orElse(builder.keys));
                        })
                .sorted(Comparator.comparingInt((Rule rule) -> rule.prefix().length())
                        .reversed())
                .toList();
        this.keys = builder.keys;
        this.limiter = limiter;
        this.breaker = builder.breaker;
        this.adaptive = builder.adaptive;
        this.clock = builder.clock;
        this.storeTimeoutNanos = builder.storeTimeout.toNanos();
        this.failOpen = builder.failOpen;
        this.listener = builder.listener;
        this.exclusions = List.copyOf(builder.exclusions);
        this.breakerPaths = List.copyOf(builder.breakerPaths);
    }

    /** A builder of a gate; without a limit or a breaker, the gate lets everything through. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The verdict on a request for {@code path} (within the application, decoded and normalised as
     * the server read it): completes once the limits' store answered, within the store timeout.
     */
    public CompletionStage<Verdict> judge(String path, RequestFacts request) {
        for (String excluded : exclusions) {
            if (covers(excluded, path)) { // not judged at all: no limit, breaker, adaptive limit or listener
                return CompletableFuture.completedFuture(
                        new Pass(Map.of(), new Call(null, 0, null, 0, clock, () -> {})));
            }
        }
        Optional<Rule> rule = rule(path);
        if (rule.isEmpty()) {
            return CompletableFuture.completedFuture(pastTheLimits(path, "", new LinkedHashMap<>(), () -> {}));
        }
        Rule limit = rule.get();
        KeyExtractor ruleKeys = limit.keys();
        String key = limit.name() + "\u0000" + (ruleKeys == null ? keys : ruleKeys).keyOrAddress(request);
        return limiter.decide(key, limit.spec(), 1)
                .toCompletableFuture()
                .orTimeout(storeTimeoutNanos, TimeUnit.NANOSECONDS)
                .handle((decision, failure) -> verdict(path, limit, key, decision));
    }

    private Verdict verdict(String path, Rule limit, String key, @Nullable Decision decision) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (decision == null) { // the store failed or was late
            if (failOpen) {
                return pastTheLimits(path, limit.name(), headers, () -> {});
            }
            headers.put("Retry-After", "1");
            heard(limit.name(), Outcome.STORE_UNAVAILABLE);
            return new Refuse(503, STORE_UNAVAILABLE, headers);
        }
        headers.put("RateLimit-Policy", RateLimitFields.policy(limit.name(), limit.spec()));
        headers.put("RateLimit", RateLimitFields.state(limit.name(), decision));
        if (!decision.allowed()) {
            long retry = RateLimitFields.retryAfterSeconds(decision);
            if (retry > 0) {
                headers.put("Retry-After", Long.toString(retry));
            }
            heard(limit.name(), Outcome.RATE_LIMITED);
            return new Refuse(429, RATE_LIMITED, headers);
        }
        Runnable release = limit.spec() instanceof ConcurrencySpec
                ? () -> limiter.release(key, limit.spec(), 1, decision.lease())
                : () -> {};
        return pastTheLimits(path, limit.name(), headers, release);
    }

    /** The breaker's and the adaptive limit's say on a request the limits (of {@code policy}) let through. */
    private Verdict pastTheLimits(String path, String policy, Map<String, String> headers, Runnable release) {
        CircuitBreaker calls = breaker != null && guarded(path) ? breaker : null;
        long permit = calls == null ? 0 : calls.tryAcquire();
        if (calls != null && permit == CircuitBreaker.REJECTED) {
            release.run();
            long wait = calls.metrics().nanosUntilProbe();
            headers.put("Retry-After", Long.toString(Math.max(1, RateLimitFields.ceilSeconds(wait))));
            heard(policy, Outcome.BREAKER_OPEN);
            return new Refuse(503, BREAKER_OPEN, headers);
        }
        AdaptiveLimiter work = adaptive;
        long slot = work == null ? 0 : work.tryAcquire();
        if (work != null && slot == AdaptiveLimiter.REJECTED) { // shed: the backend is at the limit it keeps up with
            release.run();
            if (calls != null) {
                calls.release(permit);
            }
            headers.put("Retry-After", "1");
            heard(policy, Outcome.SHED);
            return new Refuse(503, BREAKER_OPEN, headers);
        }
        heard(policy, Outcome.ADMITTED);
        return new Pass(headers, new Call(calls, permit, work, slot, clock, release));
    }

    /** Whether the breaker guards {@code path}: every path, unless it was given some. */
    private boolean guarded(String path) {
        if (breakerPaths.isEmpty()) {
            return true;
        }
        for (String prefix : breakerPaths) {
            if (covers(prefix, path)) {
                return true;
            }
        }
        return false;
    }

    /** Tells the listener; one that throws changes no verdict and leaks no permit. */
    private void heard(String policy, Outcome outcome) {
        try {
            listener.judged(policy, outcome);
        } catch (RuntimeException e) {
            // a metrics listener's bug: the verdict stands, and its permits are the call's to give back
        }
    }

    /**
     * Whether {@code prefix} covers {@code path}: the path starts with it, or, for a prefix ending in
     * {@code /}, is the prefix without that slash ({@code /api/} covers {@code /api}, as {@code
     * /api/**} does in Spring and Ant patterns).
     */
    public static boolean covers(String prefix, String path) {
        return path.startsWith(prefix)
                || (prefix.length() > 1
                        && prefix.endsWith("/")
                        && path.length() == prefix.length() - 1
                        && prefix.startsWith(path));
    }

    private Optional<Rule> rule(String path) {
        for (Rule rule : rules) {
            if (covers(rule.prefix(), path)) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    /**
     * A request let through, from the gate's verdict to its answer: report how it ended once (later
     * reports are ignored), so the breaker learns it and a concurrency permit is given back.
     */
    public static final class Call {
        private final @Nullable CircuitBreaker breaker;
        private final long permit;
        private final @Nullable AdaptiveLimiter adaptive;
        private final long slot;
        private final NanoClock clock;
        private final long startNanos;
        private final Runnable release;
        private final AtomicBoolean ended = new AtomicBoolean();

        Call(
                @Nullable CircuitBreaker breaker,
                long permit,
                @Nullable AdaptiveLimiter adaptive,
                long slot,
                NanoClock clock,
                Runnable release) {
            this.breaker = breaker;
            this.permit = permit;
            this.adaptive = adaptive;
            this.slot = slot;
            this.clock = clock;
            this.startNanos = clock.nowNanos();
            this.release = release;
        }

        /**
         * The application answered {@code status}: for the adaptive limit a 503, 504 or 429 is a
         * drop (the backend is overloaded), another 4xx tells nothing, anything else is a latency
         * sample.
         */
        public void answered(int status) {
            if (ended.compareAndSet(false, true)) {
                long rtt = clock.nowNanos() - startNanos;
                release.run();
                if (breaker != null) {
                    breaker.onStatus(permit, rtt, status);
                }
                if (adaptive != null) {
                    if (status == 503 || status == 504 || status == 429) {
                        adaptive.onDropped(slot, rtt);
                    } else if (status >= 400 && status < 500) {
                        adaptive.onIgnored(slot);
                    } else {
                        adaptive.onSuccess(slot, rtt);
                    }
                }
            }
        }

        /** The application failed with {@code error}. */
        public void failed(Throwable error) {
            if (ended.compareAndSet(false, true)) {
                long rtt = clock.nowNanos() - startNanos;
                release.run();
                if (breaker != null) {
                    breaker.onError(permit, rtt, error);
                }
                if (adaptive != null) {
                    adaptive.onDropped(slot, rtt);
                }
            }
        }

        /** The call ended without an outcome worth recording (the client went away). */
        public void abandoned() {
            if (ended.compareAndSet(false, true)) {
                release.run();
                if (breaker != null) {
                    breaker.release(permit);
                }
                if (adaptive != null) {
                    adaptive.onIgnored(slot);
                }
            }
        }
    }

    /** Configures an {@link AdmissionGate}. */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();
        private KeyExtractor keys = KeyExtractor.remoteAddress();
        private @Nullable KeyedRateLimiter limiter;
        private @Nullable CircuitBreaker breaker;
        private @Nullable AdaptiveLimiter adaptive;
        private NanoClock clock = NanoClock.system();
        private Duration storeTimeout = Duration.ofSeconds(1);
        private boolean failOpen;
        private Listener listener = (policy, outcome) -> {};
        private final List<String> exclusions = new ArrayList<>();
        private final List<String> breakerPaths = new ArrayList<>();

        private Builder() {}

        /**
         * Leaves the paths under {@code prefix} alone: no limit, breaker or adaptive limit judges
         * them, nor do their answers feed the breaker (health and metrics endpoints, whose 503 while
         * a store is down must not open the breaker in front of everything).
         */
        public Builder exclude(String prefix) {
            Require.given("prefix", prefix, "a path prefix");
            if (!prefix.startsWith("/")) {
                throw new IllegalArgumentException("prefix: \"" + prefix + "\" (expected: a path, /...)");
            }
            exclusions.add(prefix);
            return this;
        }

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
            return rule(prefix, name, spec, null);
        }

        /**
         * As {@link #limit(String, String, LimitSpec)}, with the clients of this limit told apart by
         * {@code keys} instead of the gate's {@link #keys(KeyExtractor)} (a login limit per user name,
         * say, beside limits per address).
         */
        public Builder limit(String prefix, String name, LimitSpec spec, KeyExtractor keys) {
            return rule(prefix, name, spec, Require.given("keys", keys, "a key extractor"));
        }

        private Builder rule(String prefix, String name, LimitSpec spec, @Nullable KeyExtractor keys) {
            Require.given("prefix", prefix, "a path prefix");
            if (!prefix.startsWith("/")) {
                throw new IllegalArgumentException("prefix: \"" + prefix + "\" (expected: a path, /...)");
            }
            if (!POLICY_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "name: \"" + name + "\" (expected: 1 to 64 of A-Z a-z 0-9 _ . -, a RateLimit policy name)");
            }
            if (rules.stream().anyMatch(rule -> rule.prefix().equals(prefix))) {
                throw new IllegalArgumentException("prefix: \"" + prefix + "\" has a limit already");
            }
            if (rules.stream().anyMatch(rule -> rule.name().equals(name))) {
                throw new IllegalArgumentException("name: \"" + name + "\" names another limit already");
            }
            rules.add(new Rule(prefix, name, Require.given("spec", spec, "a limit spec"), keys));
            return this;
        }

        /** Whose request it is: the key each client's limiters are kept under (by default the peer's address). */
        public Builder keys(KeyExtractor keys) {
            this.keys = Require.given("keys", keys, "a key extractor");
            return this;
        }

        /**
         * Where the limits' state lives: a Redis limiter shares it between the application's
         * instances; by default, in this process (at most {@link #MAX_KEYS} clients, the least
         * recently seen forgotten first).
         */
        public Builder limiter(KeyedRateLimiter limiter) {
            this.limiter = Require.given("limiter", limiter, "a keyed rate limiter");
            return this;
        }

        /** The breaker in front of the application, fed by its answers. */
        public Builder breaker(CircuitBreaker breaker) {
            return breaker(breaker, List.of());
        }

        /**
         * The breaker in front of the paths under {@code prefixes} only (every path when empty), fed
         * by their answers alone: in front of what calls a failing dependency, so that other paths'
         * answers (a client's 404s, another route's 500s) neither trip it nor hide its failures.
         */
        public Builder breaker(CircuitBreaker breaker, List<String> prefixes) {
            this.breaker = Require.given("breaker", breaker, "a circuit breaker");
            for (String prefix : Require.given("prefixes", prefixes, "path prefixes")) {
                if (!prefix.startsWith("/")) {
                    throw new IllegalArgumentException("prefixes: \"" + prefix + "\" (expected: a path, /...)");
                }
            }
            this.breakerPaths.clear();
            this.breakerPaths.addAll(prefixes);
            return this;
        }

        /**
         * An adaptive limit on the application's work in flight, moved by the latency and the drops
         * it sees (gradient or AIMD): past it a request is shed with 503 and {@code Retry-After: 1}.
         */
        public Builder adaptive(AdaptiveLimiter adaptive) {
            this.adaptive = Require.given("adaptive", adaptive, "an adaptive limiter");
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

        /** Hears every verdict (for metrics): the policy that judged it and the outcome. */
        public Builder listener(Listener listener) {
            this.listener = Require.given("listener", listener, "a listener");
            return this;
        }

        /** Lets a request through when the limits' store fails or is late, instead of refusing it. */
        public Builder failOpen() {
            this.failOpen = true;
            return this;
        }

        public AdmissionGate build() {
            KeyedRateLimiter chosen = limiter;
            if (chosen == null) {
                chosen = KeyedRateLimiter.inMemory(LimiterRegistry.forSpecs(Builder::noDefaultSpec, clock)
                        .idleTime(LimitSpec::idleNanos)
                        .maximumKeys(MAX_KEYS)
                        .build());
            }
            return new AdmissionGate(this, chosen);
        }

        private static LimitSpec noDefaultSpec(String key) {
            throw new IllegalStateException("every limit is asked for with its spec: " + key);
        }
    }
}
