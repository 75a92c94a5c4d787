package dev.gatehouse.spring;

import dev.gatehouse.core.gate.AdmissionGate;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gate's verdicts in the application's Micrometer registry, under the names the gateway exports:
 * {@code gatehouse.requests} by {@code policy} and {@code outcome} ({@code admitted}, {@code
 * rate_limited}, {@code breaker_open}, {@code shed}, {@code store_unavailable}; policy {@code none}: a
 * path under no limit); {@code
 * gatehouse.challenge.issued} and {@code gatehouse.challenge.verified} by {@code outcome}; and, when
 * configured, {@code gatehouse.breaker.state} (0 closed, 1 open, 2 half-open) and {@code
 * gatehouse.adaptive.limit}/{@code gatehouse.adaptive.inflight}.
 */
final class GatehouseMeters implements AdmissionGate.Listener, ProofOfWorkFilter.Listener {

    private final MeterRegistry registry;
    // a policy's counters by outcome, made at its first request: the policies are the configured ones,
    // so the map is bounded, and a request looks up its policy and its outcome (no key built)
    private final Map<String, Map<AdmissionGate.Outcome, Counter>> requests = new ConcurrentHashMap<>();
    private final Counter issued;
    private final Counter solved;
    private final Counter refused;

    GatehouseMeters(MeterRegistry registry) {
        this.registry = registry;
        this.issued = Counter.builder("gatehouse.challenge.issued")
                .description("Proof-of-work challenges issued")
                .register(registry);
        this.solved = verified("ok");
        this.refused = verified("invalid");
    }

    @Override
    public void judged(String policy, AdmissionGate.Outcome outcome) {
        // every outcome has its counter from the policy's first request on
        Objects.requireNonNull(
                        requests.computeIfAbsent(policy, this::countersOf).get(outcome))
                .increment();
    }

    private Map<AdmissionGate.Outcome, Counter> countersOf(String policy) {
        Map<AdmissionGate.Outcome, Counter> counters = new EnumMap<>(AdmissionGate.Outcome.class);
        for (AdmissionGate.Outcome outcome : AdmissionGate.Outcome.values()) {
            counters.put(
                    outcome,
                    Counter.builder("gatehouse.requests")
                            .description("Requests judged by the gate, by policy and outcome")
                            .tag("policy", policy.isEmpty() ? "none" : policy)
                            .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                            .register(registry));
        }
        return counters;
    }

    @Override
    public void issued() {
        issued.increment();
    }

    @Override
    public void verified(boolean accepted) {
        (accepted ? solved : refused).increment();
    }

    private Counter verified(String outcome) {
        return Counter.builder("gatehouse.challenge.verified")
                .description("Proof-of-work solutions judged, by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }
}
