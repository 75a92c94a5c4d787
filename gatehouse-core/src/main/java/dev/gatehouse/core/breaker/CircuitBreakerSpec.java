package dev.gatehouse.core.breaker;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * The immutable configuration of a {@link CircuitBreaker}, validated when built. Defaults: a window
 * of the last 100 calls, tripping at a failure ratio of 0.5 or a slow-call ratio of 1.0 (calls of
 * 60 s or more) once 20 calls are recorded, no consecutive-failure trip, a 30 s cooldown that does not
 * grow, 5 half-open probes that time out after 30 s, every exception and every 5xx status a failure.
 */
public final class CircuitBreakerSpec {

    /** The most half-open probes at once. */
    public static final int MAX_PROBES = 255;

    /** The largest count window and the most time buckets. */
    public static final int MAX_WINDOW = 1_000_000;

    static final long PARTS_PER_MILLION = 1_000_000L;

    private final boolean timeWindow;
    private final int windowCalls;
    private final long windowNanos;
    private final int windowBuckets;
    private final int minimumCalls;
    private final long failureRatioPpm;
    private final long slowCallRatioPpm;
    private final long slowCallNanos;
    private final int consecutiveFailures;
    private final long cooldownNanos;
    private final double cooldownMultiplier;
    private final long maxCooldownNanos;
    private final int halfOpenProbes;
    private final long probeTimeoutNanos;
    private final Predicate<Throwable> failurePredicate;
    private final IntPredicate failureStatus;
    private final NanoClock clock;

    private CircuitBreakerSpec(Builder builder) {
        this.timeWindow = builder.timeWindow;
        this.windowCalls = builder.windowCalls;
        this.windowNanos = builder.windowNanos;
        this.windowBuckets = builder.windowBuckets;
        this.minimumCalls = builder.minimumCalls;
        this.failureRatioPpm = builder.failureRatioPpm;
        this.slowCallRatioPpm = builder.slowCallRatioPpm;
        this.slowCallNanos = builder.slowCallNanos;
        this.consecutiveFailures = builder.consecutiveFailures;
        this.cooldownNanos = builder.cooldownNanos;
        this.cooldownMultiplier = builder.cooldownMultiplier;
        this.maxCooldownNanos = Math.max(builder.maxCooldownNanos, builder.cooldownNanos);
        this.halfOpenProbes = builder.halfOpenProbes;
        this.probeTimeoutNanos = builder.probeTimeoutNanos;
        this.failurePredicate = builder.failurePredicate;
        this.failureStatus = builder.failureStatus;
        this.clock = builder.clock;
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether the window is the last {@link #windowNanos()} rather than the last {@link #windowCalls()} calls. */
    public boolean timeWindow() {
        return timeWindow;
    }

    /** Calls in a count window. */
    public int windowCalls() {
        return windowCalls;
    }

    /** Length of a time window. */
    public long windowNanos() {
        return windowNanos;
    }

    /** Buckets a time window is kept in. */
    public int windowBuckets() {
        return windowBuckets;
    }

    /** Calls the window must hold before a ratio can trip the breaker. */
    public int minimumCalls() {
        return minimumCalls;
    }

    /** The failure ratio that trips the breaker (inclusive), in parts per million. */
    public long failureRatioPpm() {
        return failureRatioPpm;
    }

    /** The slow-call ratio that trips the breaker (inclusive), in parts per million. */
    public long slowCallRatioPpm() {
        return slowCallRatioPpm;
    }

    /** Calls that take at least this long are slow. */
    public long slowCallNanos() {
        return slowCallNanos;
    }

    /** Failures in a row that trip the breaker whatever the window says; 0 when off. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** The cooldown after the first trip. */
    public long cooldownNanos() {
        return cooldownNanos;
    }

    /** The factor the cooldown grows by with each reopening from half-open. */
    public double cooldownMultiplier() {
        return cooldownMultiplier;
    }

    /** The longest cooldown. */
    public long maxCooldownNanos() {
        return maxCooldownNanos;
    }

    /** Probes admitted at once while half-open; this many successes close the breaker. */
    public int halfOpenProbes() {
        return halfOpenProbes;
    }

    /** How long a probe may hold its half-open slot without reporting back. */
    public long probeTimeoutNanos() {
        return probeTimeoutNanos;
    }

    /** Which exceptions are failures (the others count as successes). */
    public Predicate<Throwable> failurePredicate() {
        return failurePredicate;
    }

    /** Which HTTP statuses are failures. */
    public IntPredicate failureStatus() {
        return failureStatus;
    }

    /** The clock cooldowns, probe timeouts and time windows are measured with. */
    public NanoClock clock() {
        return clock;
    }

    /** The cooldown after {@code reopenings} reopenings from half-open. */
    long cooldownNanos(int reopenings) {
        double grown = cooldownNanos * Math.pow(cooldownMultiplier, reopenings);
        return grown >= maxCooldownNanos ? maxCooldownNanos : (long) grown;
    }

    /** Configures a {@link CircuitBreakerSpec}. */
    public static final class Builder {
        private boolean timeWindow;
        private int windowCalls = 100;
        private long windowNanos = Duration.ofSeconds(60).toNanos();
        private int windowBuckets = 60;
        private int minimumCalls = 20;
        private long failureRatioPpm = PARTS_PER_MILLION / 2;
        private long slowCallRatioPpm = PARTS_PER_MILLION;
        private long slowCallNanos = Duration.ofSeconds(60).toNanos();
        private int consecutiveFailures;
        private long cooldownNanos = Duration.ofSeconds(30).toNanos();
        private double cooldownMultiplier = 1;
        private long maxCooldownNanos = cooldownNanos;
        private int halfOpenProbes = 5;
        private long probeTimeoutNanos = Duration.ofSeconds(30).toNanos();
        private Predicate<Throwable> failurePredicate = error -> true;
        private IntPredicate failureStatus = status -> status >= 500;
        private NanoClock clock = NanoClock.system();

        private Builder() {}

        /** The window is the last {@code calls} calls. */
        public Builder countWindow(int calls) {
            this.windowCalls = Require.inRange("windowCalls", calls, 1, MAX_WINDOW);
            this.timeWindow = false;
            return this;
        }

        /** The window is the last {@code window}, kept in {@code buckets} buckets (its resolution). */
        public Builder timeWindow(Duration window, int buckets) {
            this.windowBuckets = Require.inRange("windowBuckets", buckets, 1, MAX_WINDOW);
            this.windowNanos = Require.nanosAtLeast("window", window, buckets);
            this.timeWindow = true;
            return this;
        }

        /** Calls the window must hold before a ratio can trip the breaker. */
        public Builder minimumCalls(int calls) {
            this.minimumCalls = Require.atLeast("minimumCalls", calls, 1);
            return this;
        }

        /** The failure ratio in (0, 1] that trips the breaker, inclusive; precise to a millionth. */
        public Builder failureRatio(double ratio) {
            this.failureRatioPpm = toPpm("failureRatio", ratio);
            return this;
        }

        /** The slow-call ratio in (0, 1] that trips the breaker, inclusive, and what counts as slow. */
        public Builder slowCalls(double ratio, Duration slowerThan) {
            this.slowCallRatioPpm = toPpm("slowCallRatio", ratio);
            this.slowCallNanos = Require.nanosAtLeast("slowCallDuration", slowerThan, 1);
            return this;
        }

        /** Trips after {@code failures} failures in a row, whatever the ratio; 0 turns it off. */
        public Builder consecutiveFailures(int failures) {
            this.consecutiveFailures = Require.atLeast("consecutiveFailures", failures, 0);
            return this;
        }

        /** A fixed cooldown. */
        public Builder cooldown(Duration cooldown) {
            return cooldown(cooldown, 1, cooldown);
        }

        /** A cooldown that grows by {@code multiplier} with each reopening from half-open, up to {@code max}. */
        public Builder cooldown(Duration initial, double multiplier, Duration max) {
            this.cooldownNanos = Require.nanosAtLeast("cooldown", initial, 1);
            this.cooldownMultiplier = Require.inRange("cooldownMultiplier", multiplier, 1, 1_000);
            this.maxCooldownNanos = Require.nanosAtLeast("maxCooldown", max, cooldownNanos);
            return this;
        }

        /** Probes admitted at once while half-open ({@code probes} successes close the breaker) and their timeout. */
        public Builder halfOpen(int probes, Duration probeTimeout) {
            this.halfOpenProbes = Require.inRange("halfOpenProbes", probes, 1, MAX_PROBES);
            this.probeTimeoutNanos = Require.nanosAtLeast("probeTimeout", probeTimeout, 1);
            return this;
        }

        /** Which exceptions are failures; the others count as successes. */
        public Builder failureWhen(Predicate<Throwable> predicate) {
            this.failurePredicate = Objects.requireNonNull(predicate, "predicate");
            return this;
        }

        /** Which HTTP statuses are failures (default: 500 and above). */
        public Builder failureStatus(IntPredicate predicate) {
            this.failureStatus = Objects.requireNonNull(predicate, "predicate");
            return this;
        }

        /** The clock; tests use a manual one. */
        public Builder clock(NanoClock clock) {
            this.clock = NanoClock.monotonic(Objects.requireNonNull(clock, "clock"));
            return this;
        }

        public CircuitBreakerSpec build() {
            return new CircuitBreakerSpec(this);
        }

        private static long toPpm(String name, double ratio) {
            Require.inRange(name, ratio, 0.000001, 1);
            return Math.round(ratio * PARTS_PER_MILLION);
        }
    }
}
