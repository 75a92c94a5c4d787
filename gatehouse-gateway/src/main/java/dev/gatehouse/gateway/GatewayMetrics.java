package dev.gatehouse.gateway;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.waitingroom.QueueState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wicket's metric set under {@code gatehouse_} names, served on the private admin listener: proxied
 * requests and their durations by outcome, the breaker's state (0 closed, 1 open, 2 half-open, as
 * Wicket's values are), the queue's size and cursor, and challenges issued and verified by outcome;
 * and the adaptive limit with the calls in flight under it.
 */
final class GatewayMetrics {

    /** How a proxied request ended, as Wicket's {@code outcome} label names it. */
    enum Outcome {
        ADMITTED("admitted"),
        RATE_LIMITED("rate_limited"),
        BREAKER_OPEN("breaker_open"),
        CHALLENGED("challenged"),
        WAITING("waiting"),
        SHED("shed"),
        BACKEND_ERROR("backend_error");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        /** The label's value. */
        String label() {
            return label;
        }
    }

    /** How a challenge's solution was judged: {@code ok}, {@code invalid}, or {@code unknown} (no such live challenge). */
    enum Verified {
        OK,
        INVALID,
        UNKNOWN
    }

    private final Map<Outcome, Counter> requests = new EnumMap<>(Outcome.class);
    private final Map<Outcome, Timer> durations = new EnumMap<>(Outcome.class);
    private final Map<Verified, Counter> verified = new EnumMap<>(Verified.class);
    private final Counter issued;
    /** Answers of the plain requests ({@link ChannelProxy}) given up; Vert.x's path counts its own. */
    private final AtomicLong plainAnswersGivenUp = new AtomicLong();

    GatewayMetrics(MeterRegistry registry, LivePolicy policy) {
        for (Outcome outcome : Outcome.values()) {
            requests.put(
                    outcome,
                    Counter.builder("gatehouse.requests")
                            .description("Proxied requests by outcome")
                            .tag("outcome", outcome.label)
                            .register(registry));
            durations.put(
                    outcome,
                    Timer.builder("gatehouse.request.duration")
                            .description("Time to answer a proxied request, by outcome")
                            .tag("outcome", outcome.label)
                            .serviceLevelObjectives(buckets())
                            .register(registry));
        }
        for (Verified outcome : Verified.values()) {
            verified.put(
                    outcome,
                    Counter.builder("gatehouse.challenge.verified")
                            .description("Challenge solutions by outcome")
                            .tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                            .register(registry));
        }
        issued = Counter.builder("gatehouse.challenge.issued")
                .description("Challenges issued")
                .register(registry);
        Gauge.builder("gatehouse.breaker.state", () -> switch (policy.current().breakerState()) {
                    case OPEN, FORCED_OPEN -> 1;
                    case HALF_OPEN -> 2;
                    default -> 0;
                })
                .description("The upstream breaker: 0 closed, 1 open, 2 half-open")
                .register(registry);
        Gauge.builder(
                        "gatehouse.adaptive.limit",
                        () -> policy.current()
                                .adaptive()
                                .map(AdaptiveLimiter::limit)
                                .orElse(0))
                .description("The adaptive concurrency limit in front of the upstream (0: off)")
                .register(registry);
        Gauge.builder(
                        "gatehouse.adaptive.inflight",
                        () -> policy.current()
                                .adaptive()
                                .map(AdaptiveLimiter::inFlight)
                                .orElse(0))
                .description("Calls to the upstream in flight under the adaptive limit")
                .register(registry);
    }

    /** Wicket's buckets (Prometheus's defaults), 5 ms to 10 s. */
    private static Duration[] buckets() {
        double[] seconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        Duration[] buckets = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            buckets[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return buckets;
    }

    void request(Outcome outcome, long nanos) {
        requireNonNull(requests.get(outcome)).increment(); // every outcome has its meters, from the constructor
        requireNonNull(durations.get(outcome)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void issued() {
        issued.increment();
    }

    void verified(Verified outcome) {
        requireNonNull(verified.get(outcome)).increment();
    }

    /** The queue's gauges, read from its latest counts (a second old at most): size and cursor. */
    void waitingRoom(MeterRegistry registry, SiteRoom room) {
        Gauge.builder(
                        "gatehouse.waiting_room.queued",
                        room,
                        r -> r.stats().map(QueueState.RoomStats::queued).orElse(0L))
                .description("Visitors waiting in line for the site (as the last admission round counted them)")
                .register(registry);
        Gauge.builder(
                        "gatehouse.waiting_room.seated",
                        room,
                        r -> r.stats().map(QueueState.RoomStats::ready).orElse(0L))
                .description("Visitors holding a seat in the site (as the last admission round counted them)")
                .register(registry);
    }

    /**
     * The answer bytes Vert.x's path holds for clients that read slower than the upstream sends, and
     * the answers it gave up because their clients took nothing of them.
     */
    void answers(MeterRegistry registry, AnswerBudget budget) {
        Gauge.builder("gatehouse.answers.held.bytes", budget, AnswerBudget::held)
                .description("Bytes of upstream answers handed to clients' connections and not yet written to them")
                .register(registry);
        FunctionCounter.builder(
                        "gatehouse.answers.given.up", budget, held -> held.givenUp() + plainAnswersGivenUp.get())
                .description("Answers given up because their clients took nothing of them for the write bound (a second"
                        + " while the answers held in all pass a quarter of the heap, or, the slowest readers first and as"
                        + " many as wait, while requests wait for an upstream connection)")
                .register(registry);
    }

    /** An answer of a plain request given up: its client took nothing of it while others waited. */
    void answerGivenUp() {
        plainAnswersGivenUp.incrementAndGet();
    }

    /** The gauge of the connections open to the upstream for the plain requests ({@link ChannelProxy}'s). */
    void upstreamChannels(MeterRegistry registry, UpstreamChannels channels) {
        Gauge.builder("gatehouse.upstream.connections", channels, UpstreamChannels::open)
                .description("Keep-alive connections open to the upstream for plain HTTP/1.1 requests")
                .register(registry);
    }

    void queue(MeterRegistry registry, TicketQueue queue) {
        Gauge.builder("gatehouse.queue.size", queue, TicketQueue::size)
                .description("Tickets waiting in the queue")
                .register(registry);
        Gauge.builder("gatehouse.queue.cursor", queue, TicketQueue::cursor)
                .description("Tickets admitted from the queue so far")
                .register(registry);
    }
}
