package dev.gatehouse.core.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.breaker.CircuitBreaker.State;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;

/** Many threads recording while transitions happen. */
class CircuitBreakerContentionTest {

    private static final int THREADS = 8;

    private final AtomicLong now = new AtomicLong();
    private final NanoClock clock = now::get;

    @RepeatedTest(20)
    void manyThreadsFailing_tripExactlyOnce() throws InterruptedException {
        CircuitBreaker breaker = CircuitBreaker.create(CircuitBreakerSpec.builder()
                .clock(clock)
                .countWindow(50)
                .minimumCalls(50)
                .failureRatio(0.5)
                .cooldown(Duration.ofSeconds(10))
                .build());
        ConcurrentLinkedQueue<String> transitions = new ConcurrentLinkedQueue<>();
        breaker.addListener(new CircuitBreaker.Listener() {
            @Override
            public void onStateChange(State from, State to, long atNanos) {
                transitions.add(from + "->" + to);
            }
        });

        Race.run(THREADS, () -> {
            for (int i = 0; i < 200; i++) {
                long permit = breaker.tryAcquire();
                if (permit != CircuitBreaker.REJECTED) {
                    breaker.onFailure(permit, 1);
                }
            }
        });

        assertThat(transitions).containsExactly("CLOSED->OPEN");
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @RepeatedTest(20)
    void halfOpen_neverAdmitsMoreThanMAtOnce() throws InterruptedException {
        CircuitBreaker breaker = CircuitBreaker.create(CircuitBreakerSpec.builder()
                .clock(clock)
                .countWindow(10)
                .minimumCalls(10)
                .consecutiveFailures(1)
                .cooldown(Duration.ofSeconds(10))
                .halfOpen(3, Duration.ofSeconds(30))
                .build());
        breaker.onFailure(breaker.tryAcquire(), 1);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger admitted = new AtomicInteger();

        Race.run(THREADS, () -> {
            for (int i = 0; i < 500; i++) {
                long permit = breaker.tryAcquire();
                if (permit == CircuitBreaker.REJECTED) {
                    continue;
                }
                admitted.incrementAndGet();
                mostAtOnce.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                inFlight.decrementAndGet();
                breaker.release(permit);
            }
        });

        assertThat(mostAtOnce.get()).isBetween(1, 3);
        assertThat(admitted.get()).isGreaterThan(3);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    }
}
