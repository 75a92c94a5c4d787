package dev.gatehouse.bench;

import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A closed breaker on the path every healthy call takes: ask for permission, then record a success.
 * Gatehouse's breaker against Resilience4j's count-based one, both over a window of 100 calls. Run
 * with {@code -t 1} and {@code -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CircuitBreakerBenchmark {

    private static final long CALL_NANOS = 1_000_000;

    private dev.gatehouse.core.breaker.CircuitBreaker gatehouse;
    private CircuitBreaker resilience4j;

    @Setup
    public void setUp() {
        gatehouse = dev.gatehouse.core.breaker.CircuitBreaker.create(CircuitBreakerSpec.builder()
                .countWindow(100)
                .minimumCalls(100)
                .failureRatio(0.5)
                .build());
        resilience4j = CircuitBreaker.of(
                "bench",
                CircuitBreakerConfig.custom()
                        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                        .slidingWindowSize(100)
                        .minimumNumberOfCalls(100)
                        .failureRateThreshold(50)
                        .waitDurationInOpenState(Duration.ofSeconds(30))
                        .build());
    }

    @Benchmark
    public void gatehouse() {
        long permit = gatehouse.tryAcquire();
        gatehouse.onSuccess(permit, CALL_NANOS);
    }

    @Benchmark
    public void resilience4j() {
        if (resilience4j.tryAcquirePermission()) {
            resilience4j.onSuccess(CALL_NANOS, TimeUnit.NANOSECONDS);
        }
    }
}
