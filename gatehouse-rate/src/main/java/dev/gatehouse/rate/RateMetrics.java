package dev.gatehouse.rate;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/** The rate service's meters: decisions by outcome, waiting, latency, keys and evictions. */
final class RateMetrics {

    private final Map<RateVerdict.Outcome, Counter> decisions = new EnumMap<>(RateVerdict.Outcome.class);
    private final Map<RateVerdict.Outcome, Timer> latency = new EnumMap<>(RateVerdict.Outcome.class);
    private final Counter cancelled;
    private final Timer waitTime;
    private final DistributionSummary queueDepth;
    private final AtomicLong waiters = new AtomicLong();

    RateMetrics(MeterRegistry registry, RateStore store, IntSupplier queues) {
        for (RateVerdict.Outcome outcome : RateVerdict.Outcome.values()) {
            String tag = outcome.name().toLowerCase(Locale.ROOT);
            decisions.put(
                    outcome,
                    Counter.builder("gatehouse.rate.decisions")
                            .description("Calls of /rate/{key} answered, by outcome")
                            .tag("outcome", tag)
                            .register(registry));
            latency.put(
                    outcome,
                    Timer.builder("gatehouse.rate.decision")
                            .description("Time from a call of /rate/{key} to its answer, waiting included")
                            .tag("outcome", tag)
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofNanos(10_000))
                            .maximumExpectedValue(Duration.ofSeconds(60))
                            .register(registry));
        }
        cancelled = Counter.builder("gatehouse.rate.cancelled")
                .description("Waiting calls whose client went away before an answer")
                .register(registry);
        waitTime = Timer.builder("gatehouse.rate.wait")
                .description("Time admitted calls spent in a queue")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        queueDepth = DistributionSummary.builder("gatehouse.rate.queue.depth")
                .description("Calls ahead of a call when it joined a queue")
                .publishPercentileHistogram()
                .maximumExpectedValue(1e6)
                .register(registry);
        Gauge.builder("gatehouse.rate.waiters", waiters, AtomicLong::get)
                .description("Calls waiting in queues")
                .register(registry);
        Gauge.builder("gatehouse.rate.queues", queues, IntSupplier::getAsInt)
                .description("Keys with calls waiting")
                .strongReference(true) // a lambda nobody else holds: a weak reference would read NaN after a GC
                .register(registry);
        Gauge.builder("gatehouse.rate.keys", store, RateStore::keyCount)
                .description("Keys holding limiter state")
                .register(registry);
        FunctionCounter.builder("gatehouse.rate.evictions", store, RateStore::evictions)
                .description("Keys evicted for being idle or to stay within rate.max-keys")
                .register(registry);
        FunctionCounter.builder("gatehouse.rate.refused.keys", store, RateStore::refusedKeys)
                .description("New keys refused because rate.max-keys keys were held and none could be evicted")
                .register(registry);
    }

    void answered(RateVerdict verdict, long elapsedNanos) {
        // the constructor registers both meters for every outcome
        requireNonNull(decisions.get(verdict.outcome())).increment();
        requireNonNull(latency.get(verdict.outcome())).record(elapsedNanos, TimeUnit.NANOSECONDS);
    }

    void cancelled() {
        cancelled.increment();
    }

    void joined(int ahead) {
        waiters.incrementAndGet();
        queueDepth.record(ahead);
    }

    void left(long waitedNanos, boolean admitted) {
        waiters.decrementAndGet();
        if (admitted) {
            waitTime.record(waitedNanos, TimeUnit.NANOSECONDS);
        }
    }
}
