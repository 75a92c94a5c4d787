package dev.gatehouse.core.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.adaptive.AdaptiveSpec;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.key.RequestFacts;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The gate's verdicts without a server: each integration only carries them out. */
class AdmissionGateTest {

    private final ManualClock clock = new ManualClock();

    private record Client(String remoteAddress) implements RequestFacts {
        @Override
        public List<String> headers(String name) {
            return List.of();
        }

        @Override
        public @Nullable String cookie(String name) {
            return null;
        }

        @Override
        public @Nullable String principal() {
            return null;
        }
    }

    private static AdmissionGate.Verdict judge(AdmissionGate gate, String path, String client) {
        return gate.judge(path, new Client(client)).toCompletableFuture().join();
    }

    @Test
    void aRefusalCarriesTheHeadersAndAPassReportsItsEndOnce() {
        AdmissionGate gate = AdmissionGate.builder()
                .limit("/api/", "api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .clock(clock)
                .build();
        AdmissionGate.Verdict first = judge(gate, "/api/x", "192.0.2.1");
        assertThat(first).isInstanceOf(AdmissionGate.Pass.class);
        assertThat(first.headers())
                .containsEntry("RateLimit-Policy", "\"api\";q=1;w=60")
                .containsEntry("RateLimit", "\"api\";r=0;t=60");
        AdmissionGate.Verdict second = judge(gate, "/api/x", "192.0.2.1");
        assertThat(second)
                .isEqualTo(new AdmissionGate.Refuse(
                        429,
                        AdmissionGate.RATE_LIMITED,
                        java.util.Map.of(
                                "RateLimit-Policy",
                                "\"api\";q=1;w=60",
                                "RateLimit",
                                "\"api\";r=0;t=60",
                                "Retry-After",
                                "60")));
        assertThat(judge(gate, "/api/x", "192.0.2.2")).as("another client").isInstanceOf(AdmissionGate.Pass.class);
        AdmissionGate.Verdict free = judge(gate, "/other", "192.0.2.1");
        assertThat(free).isInstanceOf(AdmissionGate.Pass.class);
        assertThat(free.headers()).isEmpty();
    }

    /**
     * A concurrency limit under threads that each pass, end their call (some twice, some by an
     * error, some abandoned) and pass again: never more calls in flight than the limit, and every
     * permit given back once.
     */
    @Test
    void concurrencyPermitsAreGivenBackOnceWhicheverWayACallEnds() throws InterruptedException {
        AdmissionGate gate = AdmissionGate.builder()
                .limit("db", LimitSpec.concurrency(3))
                .clock(clock)
                .build();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger passes = new AtomicInteger();
        Race.run(6, () -> {
            for (int i = 0; i < 2_000; i++) {
                AdmissionGate.Verdict verdict = judge(gate, "/q", "192.0.2.9");
                if (!(verdict instanceof AdmissionGate.Pass pass)) {
                    continue;
                }
                passes.incrementAndGet();
                most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                inFlight.decrementAndGet(); // before the end below gives the permit back
                switch (i % 4) {
                    case 0 -> pass.call().answered(200);
                    case 1 -> pass.call().failed(new IllegalStateException("app"));
                    case 2 -> pass.call().abandoned();
                    default -> {
                        pass.call().answered(200);
                        pass.call().answered(500); // a second report changes nothing
                        pass.call().failed(new IllegalStateException("late"));
                    }
                }
            }
        });
        assertThat(most.get()).isLessThanOrEqualTo(3);
        assertThat(passes.get()).isPositive();
        for (int i = 0; i < 3; i++) {
            assertThat(judge(gate, "/q", "192.0.2.9")).as("permit %d back", i).isInstanceOf(AdmissionGate.Pass.class);
        }
        assertThat(judge(gate, "/q", "192.0.2.9")).isInstanceOf(AdmissionGate.Refuse.class);
    }

    @Test
    void theBreakerRefusesWhileOpenAndAConcurrencyPermitTakenMeanwhileIsGivenBack() {
        CircuitBreaker breaker = CircuitBreaker.create(CircuitBreakerSpec.builder()
                .countWindow(2)
                .minimumCalls(2)
                .failureRatio(0.5)
                .cooldown(Duration.ofSeconds(10))
                .clock(clock)
                .build());
        AdmissionGate gate = AdmissionGate.builder()
                .limit("db", LimitSpec.concurrency(1))
                .breaker(breaker)
                .clock(clock)
                .build();
        ((AdmissionGate.Pass) judge(gate, "/", "c")).call().answered(200);
        ((AdmissionGate.Pass) judge(gate, "/", "c")).call().answered(503);
        AdmissionGate.Verdict open = judge(gate, "/", "c");
        assertThat(open).isInstanceOf(AdmissionGate.Refuse.class);
        assertThat(((AdmissionGate.Refuse) open).status()).isEqualTo(503);
        assertThat(((AdmissionGate.Refuse) open).body()).isEqualTo(AdmissionGate.BREAKER_OPEN);
        assertThat(open.headers()).containsEntry("Retry-After", "10");
        clock.advance(Duration.ofSeconds(10));
        assertThat(judge(gate, "/", "c"))
                .as("the permit the refusal took was given back: the probe gets it")
                .isInstanceOf(AdmissionGate.Pass.class);
    }

    /**
     * The adaptive limit sheds past the work in flight it allows (503, Retry-After: 1), takes back a
     * slot however a call ends, and shrinks on drops (a 503 from the application, an exception).
     */
    @Test
    void theAdaptiveLimitShedsPastItsLimitAndShrinksOnDrops() {
        AdaptiveLimiter adaptive =
                AdaptiveLimiter.create(AdaptiveSpec.aimd(4, 1, 8).withClock(clock));
        AdmissionGate gate =
                AdmissionGate.builder().adaptive(adaptive).clock(clock).build();
        List<AdmissionGate.Call> inFlight = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inFlight.add(((AdmissionGate.Pass) judge(gate, "/", "c")).call());
        }
        AdmissionGate.Verdict shed = judge(gate, "/", "c");
        assertThat(shed)
                .isEqualTo(new AdmissionGate.Refuse(
                        503, AdmissionGate.BREAKER_OPEN, java.util.Map.of("Retry-After", "1")));
        inFlight.get(0).answered(200);
        inFlight.get(1).answered(404);
        inFlight.get(2).abandoned();
        inFlight.get(3).failed(new IllegalStateException("app"));
        assertThat(adaptive.inFlight()).as("every slot back, once").isZero();
        assertThat(adaptive.limit()).as("an exception is a drop").isLessThan(4);
        int limit = adaptive.limit();
        AdmissionGate.Call overloaded = ((AdmissionGate.Pass) judge(gate, "/", "c")).call();
        overloaded.answered(503);
        overloaded.answered(200); // a second report changes nothing
        assertThat(adaptive.limit()).as("a 503 from the application is a drop").isLessThanOrEqualTo(limit);
        assertThat(adaptive.inFlight()).isZero();
    }

    /** A limit with keys of its own tells clients apart by them; the others by the gate's keys. */
    @Test
    void aLimitWithItsOwnKeysCountsPerThoseKeys() {
        AdmissionGate gate = AdmissionGate.builder()
                .limit("/api/", "api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .limit(
                        "/login",
                        "login",
                        LimitSpec.fixedWindow(1, Duration.ofMinutes(1)),
                        KeyExtractor.of(request -> "everyone"))
                .clock(clock)
                .build();
        assertThat(judge(gate, "/login", "192.0.2.1")).isInstanceOf(AdmissionGate.Pass.class);
        assertThat(judge(gate, "/login", "192.0.2.2")).as("one key for all").isInstanceOf(AdmissionGate.Refuse.class);
        assertThat(judge(gate, "/api/x", "192.0.2.1")).isInstanceOf(AdmissionGate.Pass.class);
        assertThat(judge(gate, "/api/x", "192.0.2.2")).as("by address").isInstanceOf(AdmissionGate.Pass.class);
    }

    /**
     * An excluded path is not judged (no limit, no breaker); a prefix ending in / covers the path
     * without it; a limit's own keys that find nothing fall back to the gate's keys; a listener
     * that throws changes no verdict and leaks no permit.
     */
    @Test
    void exclusionsPrefixesFallbacksAndAThrowingListener() {
        CircuitBreaker breaker = CircuitBreaker.create(
                CircuitBreakerSpec.builder().consecutiveFailures(1).clock(clock).build());
        AdmissionGate gate = AdmissionGate.builder()
                .limit(
                        "/signup/",
                        "signup",
                        LimitSpec.fixedWindow(1, Duration.ofMinutes(1)),
                        KeyExtractor.header("X-User"))
                .keys(KeyExtractor.of(request -> "gate-key"))
                .breaker(breaker)
                .exclude("/actuator/")
                .listener((policy, outcome) -> {
                    throw new IllegalStateException("a metrics bug");
                })
                .clock(clock)
                .build();
        assertThat(judge(gate, "/signup", "192.0.2.1"))
                .as("/signup/ covers /signup")
                .isInstanceOf(AdmissionGate.Pass.class);
        assertThat(judge(gate, "/signup/x", "192.0.2.2"))
                .as("no X-User: the gate's key, the same for both")
                .isInstanceOf(AdmissionGate.Refuse.class);
        assertThat(judge(gate, "/signupx", "192.0.2.3")).as("not covered").isInstanceOf(AdmissionGate.Pass.class);
        ((AdmissionGate.Pass) judge(gate, "/other", "c")).call().answered(500); // opens the breaker
        assertThat(judge(gate, "/other", "c")).isInstanceOf(AdmissionGate.Refuse.class);
        AdmissionGate.Verdict health = judge(gate, "/actuator/health", "c");
        assertThat(health).as("excluded: not even the open breaker").isInstanceOf(AdmissionGate.Pass.class);
        ((AdmissionGate.Pass) health).call().answered(503);
        assertThat(judge(gate, "/actuator", "c")).isInstanceOf(AdmissionGate.Pass.class);
        assertThat(judge(gate, "/actuatorx", "c")).isInstanceOf(AdmissionGate.Refuse.class);
        assertThat(breaker.metrics().calls())
                .as("the excluded answers fed nothing")
                .isLessThanOrEqualTo(1);
    }

    /** A breaker given paths guards and learns from those paths only. */
    @Test
    void aBreakerGivenPathsGuardsAndLearnsFromThoseOnly() {
        CircuitBreaker breaker = CircuitBreaker.create(
                CircuitBreakerSpec.builder().consecutiveFailures(1).clock(clock).build());
        AdmissionGate gate = AdmissionGate.builder()
                .breaker(breaker, List.of("/inventory/"))
                .clock(clock)
                .build();
        ((AdmissionGate.Pass) judge(gate, "/error", "attacker")).call().answered(500);
        assertThat(breaker.state()).as("another path's 500 feeds nothing").isEqualTo(CircuitBreaker.State.CLOSED);
        ((AdmissionGate.Pass) judge(gate, "/inventory", "c")).call().answered(502);
        assertThat(judge(gate, "/inventory/x", "c")).isInstanceOf(AdmissionGate.Refuse.class);
        assertThat(judge(gate, "/api/items", "c"))
                .as("other paths pass while it is open")
                .isInstanceOf(AdmissionGate.Pass.class);
    }

    /** The listener hears every verdict once, with the policy that judged it (empty: no limit) and why. */
    @Test
    void theListenerHearsEveryVerdictWithItsPolicyAndOutcome() {
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        CircuitBreaker breaker = CircuitBreaker.create(
                CircuitBreakerSpec.builder().consecutiveFailures(1).clock(clock).build());
        AdmissionGate gate = AdmissionGate.builder()
                .limit("/api/", "api", LimitSpec.fixedWindow(1, Duration.ofMinutes(1)))
                .breaker(breaker)
                .listener((policy, outcome) -> heard.add(policy + ":" + outcome))
                .clock(clock)
                .build();
        ((AdmissionGate.Pass) judge(gate, "/api/x", "c")).call().answered(500);
        judge(gate, "/api/x", "c");
        judge(gate, "/free", "c");
        assertThat(heard).containsExactly("api:ADMITTED", "api:RATE_LIMITED", ":BREAKER_OPEN");
    }

    @Test
    void aStoreThatFailsOrIsLateRefusesOrLetsThroughWhenFailingOpen() {
        KeyedRateLimiter failing = limiter(CompletableFuture.failedFuture(new IllegalStateException("down")));
        KeyedRateLimiter silent = limiter(new CompletableFuture<>());
        LimitSpec spec = LimitSpec.fixedWindow(5, Duration.ofMinutes(1));
        for (KeyedRateLimiter store : List.of(failing, silent)) {
            AdmissionGate closed = AdmissionGate.builder()
                    .limit("api", spec)
                    .limiter(store)
                    .storeTimeout(Duration.ofMillis(1))
                    .build();
            assertThat(judge(closed, "/", "c"))
                    .isEqualTo(new AdmissionGate.Refuse(
                            503, AdmissionGate.STORE_UNAVAILABLE, java.util.Map.of("Retry-After", "1")));
            AdmissionGate open = AdmissionGate.builder()
                    .limit("api", spec)
                    .limiter(store)
                    .storeTimeout(Duration.ofMillis(1))
                    .failOpen()
                    .build();
            assertThat(judge(open, "/", "c")).isInstanceOf(AdmissionGate.Pass.class);
        }
    }

    @Test
    void aBadConfigurationIsRefusedNamingIt() {
        AdmissionGate.Builder builder = AdmissionGate.builder();
        LimitSpec spec = LimitSpec.concurrency(1);
        assertThatThrownBy(() -> builder.limit("api/", "api", spec)).hasMessageContaining("prefix: \"api/\"");
        assertThatThrownBy(() -> builder.limit("/", "a b", spec)).hasMessageContaining("name: \"a b\"");
        builder.limit("/x/", "x", spec);
        assertThatThrownBy(() -> builder.limit("/x/", "y", spec)).hasMessageContaining("has a limit already");
        assertThatThrownBy(() -> builder.limit("/z/", "x", spec)).hasMessageContaining("names another limit already");
        assertThatThrownBy(() -> builder.storeTimeout(Duration.ZERO)).hasMessageContaining("storeTimeout");
    }

    private static KeyedRateLimiter limiter(CompletableFuture<Decision> answer) {
        return new KeyedRateLimiter() {
            @Override
            public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
                return answer;
            }

            @Override
            public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
        };
    }
}
