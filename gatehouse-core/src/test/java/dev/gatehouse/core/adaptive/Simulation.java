package dev.gatehouse.core.adaptive;

import dev.gatehouse.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;

/**
 * A closed-loop load test on virtual time: clients send requests through an adaptive limiter to a
 * synthetic backend whose latency grows with concurrency past its knee and which drops requests past
 * a hard capacity. Deterministic: no threads, no randomness.
 */
final class Simulation {

    static final long MILLI = 1_000_000L;

    final ManualClock clock = new ManualClock(0);
    final AdaptiveLimiter limiter;
    final List<long[]> limitSamples = new ArrayList<>(); // {time, limit}
    private int active;
    private int knee;
    private long baseLatencyNanos;
    private int dropAbove;
    long completed;
    long dropped;

    Simulation(AdaptiveSpec spec, int clients, int knee, long baseLatencyNanos, int dropAbove) {
        this.limiter = AdaptiveLimiter.create(spec.withClock(clock));
        this.knee = knee;
        this.baseLatencyNanos = baseLatencyNanos;
        this.dropAbove = dropAbove;
        for (int i = 0; i < clients; i++) {
            clock.schedule(this::attempt, i * 10_000L);
        }
        sampleEvery(100 * MILLI);
    }

    /** The backend changes: another knee, base latency and capacity. */
    void backend(int newKnee, long newBaseLatencyNanos, int newDropAbove) {
        this.knee = newKnee;
        this.baseLatencyNanos = newBaseLatencyNanos;
        this.dropAbove = newDropAbove;
    }

    void runFor(long nanos) {
        clock.advanceNanos(nanos);
    }

    /** The mean limit over samples taken in [fromNanos, toNanos). */
    double meanLimit(long fromNanos, long toNanos) {
        return limitSamples.stream()
                .filter(s -> s[0] >= fromNanos && s[0] < toNanos)
                .mapToLong(s -> s[1])
                .average()
                .orElseThrow();
    }

    /** The first sample time at or after {@code fromNanos} whose limit lies in [low, high], or -1. */
    long firstTimeWithin(long fromNanos, double low, double high) {
        return limitSamples.stream()
                .filter(s -> s[0] >= fromNanos && s[1] >= low && s[1] <= high)
                .mapToLong(s -> s[0])
                .findFirst()
                .orElse(-1);
    }

    private void attempt() {
        long permit = limiter.tryAcquire();
        if (permit == AdaptiveLimiter.REJECTED) {
            clock.schedule(this::attempt, 5 * MILLI); // shed: the client backs off for 5 ms
            return;
        }
        active++;
        boolean overloaded = active > dropAbove;
        long latency = overloaded ? baseLatencyNanos / 2 : baseLatencyNanos * Math.max(knee, active) / knee;
        clock.schedule(
                () -> {
                    active--;
                    if (overloaded) {
                        dropped++;
                        limiter.onDropped(permit, latency);
                    } else {
                        completed++;
                        limiter.onSuccess(permit, latency);
                    }
                    attempt();
                },
                latency);
    }

    private void sampleEvery(long periodNanos) {
        limitSamples.add(new long[] {clock.nowNanos(), limiter.limit()});
        clock.schedule(() -> sampleEvery(periodNanos), periodNanos);
    }
}
