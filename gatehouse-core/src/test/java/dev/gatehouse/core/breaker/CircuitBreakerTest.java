package dev.gatehouse.core.breaker;

import static dev.gatehouse.core.breaker.CircuitBreaker.REJECTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.breaker.CircuitBreaker.State;
import dev.gatehouse.testing.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private static final long MILLI = 1_000_000L;
    private static final long SECOND = 1_000 * MILLI;

    private final ManualClock clock = new ManualClock();

    private CircuitBreakerSpec.Builder spec() {
        return CircuitBreakerSpec.builder()
                .clock(clock)
                .countWindow(10)
                .minimumCalls(10)
                .failureRatio(0.3)
                .cooldown(Duration.ofSeconds(10))
                .halfOpen(2, Duration.ofSeconds(5));
    }

    private static void succeed(CircuitBreaker breaker, int times) {
        for (int i = 0; i < times; i++) {
            breaker.onSuccess(breaker.tryAcquire(), MILLI);
        }
    }

    private static void fail(CircuitBreaker breaker, int times) {
        for (int i = 0; i < times; i++) {
            breaker.onFailure(breaker.tryAcquire(), MILLI);
        }
    }

    private CircuitBreaker openBreaker(CircuitBreakerSpec.Builder builder) {
        CircuitBreaker breaker = CircuitBreaker.create(builder.build());
        succeed(breaker, 7);
        fail(breaker, 3);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        return breaker;
    }

    @Test
    void failureRatio_exactlyAtTheThreshold_trips() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().build());
        succeed(breaker, 7);
        fail(breaker, 2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);

        fail(breaker, 1); // 3 of 10 = 0.3, inclusive

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void failureRatio_justBelowTheThreshold_staysClosed() {
        CircuitBreaker breaker = CircuitBreaker.create(
                spec().countWindow(20).minimumCalls(20).failureRatio(0.3).build());
        succeed(breaker, 15);
        fail(breaker, 5); // 5 of 20 = 0.25

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().failureRatio()).isEqualTo(0.25);
    }

    @Test
    void minimumCallsMinusOne_neverTrips() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().failureRatio(0.1).build());
        fail(breaker, 9);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);

        fail(breaker, 1);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void window_forgetsCallsOlderThanTheLastN() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().build());
        fail(breaker, 2);
        succeed(breaker, 10); // pushes both failures out
        fail(breaker, 2);

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().failures()).isEqualTo(2);
        assertThat(breaker.metrics().calls()).isEqualTo(10);
    }

    @Test
    void slowCallRatio_trips() {
        CircuitBreaker breaker = CircuitBreaker.create(
                spec().failureRatio(1).slowCalls(0.5, Duration.ofMillis(200)).build());
        for (int i = 0; i < 5; i++) {
            breaker.onSuccess(breaker.tryAcquire(), 199 * MILLI);
        }
        for (int i = 0; i < 4; i++) {
            breaker.onSuccess(breaker.tryAcquire(), 200 * MILLI);
        }
        assertThat(breaker.state()).isEqualTo(State.CLOSED);

        breaker.onSuccess(breaker.tryAcquire(), SECOND);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void consecutiveFailures_tripAfterALongRunOfSuccesses() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().countWindow(1_000)
                .minimumCalls(100)
                .failureRatio(0.5)
                .consecutiveFailures(5)
                .build());
        succeed(breaker, 900);
        fail(breaker, 4);
        succeed(breaker, 1);
        fail(breaker, 4);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isEqualTo(4);

        fail(breaker, 1);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void open_rejectsUntilTheCooldownEnds_thenProbes() {
        CircuitBreaker breaker = openBreaker(spec());
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);
        assertThat(breaker.metrics().nanosUntilProbe()).isEqualTo(10 * SECOND);

        clock.advanceNanos(10 * SECOND - 1);
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);
        clock.advanceNanos(1);

        assertThat(breaker.tryAcquire()).isNotEqualTo(REJECTED);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.metrics().rejected()).isEqualTo(2);
    }

    @Test
    void halfOpen_admitsAtMostMProbes_andMSuccessesClose() {
        CircuitBreaker breaker = openBreaker(spec());
        clock.advanceNanos(10 * SECOND);
        long first = breaker.tryAcquire();
        long second = breaker.tryAcquire();
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);

        breaker.onSuccess(first, MILLI);
        long third = breaker.tryAcquire();
        assertThat(third).isNotEqualTo(REJECTED);
        breaker.onSuccess(second, MILLI);

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().calls()).isZero();
        breaker.onFailure(third, MILLI); // began half-open: ignored now
        assertThat(breaker.metrics().failures()).isZero();
    }

    @Test
    void halfOpen_anyFailureReopens_withAGrowingCappedCooldown() {
        CircuitBreaker breaker = openBreaker(spec().cooldown(Duration.ofSeconds(10), 2, Duration.ofSeconds(25)));
        long[] expectedCooldowns = {20 * SECOND, 25 * SECOND, 25 * SECOND};
        clock.advanceNanos(10 * SECOND);
        for (long cooldown : expectedCooldowns) {
            long probe = breaker.tryAcquire();
            breaker.onFailure(probe, MILLI);
            assertThat(breaker.state()).isEqualTo(State.OPEN);
            assertThat(breaker.metrics().nanosUntilProbe()).isEqualTo(cooldown);
            clock.advanceNanos(cooldown);
        }

        succeed(breaker, 2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        fail(breaker, 10);
        assertThat(breaker.metrics().nanosUntilProbe()).isEqualTo(10 * SECOND); // growth starts over
    }

    @Test
    void halfOpen_aSlowSuccessReopens() {
        CircuitBreaker breaker = openBreaker(spec().slowCalls(1, Duration.ofSeconds(1)));
        clock.advanceNanos(10 * SECOND);

        breaker.onSuccess(breaker.tryAcquire(), 2 * SECOND);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void halfOpen_aProbeThatNeverReportsLosesItsSlotAfterTheTimeout() {
        CircuitBreaker breaker = openBreaker(spec());
        clock.advanceNanos(10 * SECOND);
        long lost = breaker.tryAcquire();
        long other = breaker.tryAcquire();
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);

        clock.advanceNanos(5 * SECOND - 1);
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);
        clock.advanceNanos(1);
        long replacement = breaker.tryAcquire();
        assertThat(replacement).isNotEqualTo(REJECTED);

        breaker.onFailure(lost, MILLI); // too late: its slot belongs to another probe now
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        breaker.onSuccess(replacement, MILLI);
        breaker.onSuccess(breaker.tryAcquire(), MILLI);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void halfOpen_outlivingItsSlotClock_isRenewedWithoutAStateChangeEvent() {
        CircuitBreaker breaker = openBreaker(spec());
        List<String> seen = new ArrayList<>();
        breaker.addListener(new CircuitBreaker.Listener() {
            @Override
            public void onStateChange(State from, State to, long atNanos) {
                seen.add(from + "->" + to);
            }
        });
        clock.advanceNanos(10 * SECOND);
        breaker.tryAcquire();

        clock.advance(Duration.ofHours(80)); // past the 48-bit claim times of the half-open slots
        long probe = breaker.tryAcquire();

        assertThat(probe).isNotEqualTo(REJECTED);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(seen).containsExactly("OPEN->HALF_OPEN");
    }

    @Test
    void release_freesAProbeSlotWithoutCounting() {
        CircuitBreaker breaker = openBreaker(spec());
        clock.advanceNanos(10 * SECOND);
        long first = breaker.tryAcquire();
        breaker.tryAcquire();

        breaker.release(first);
        breaker.release(first);

        assertThat(breaker.tryAcquire()).isNotEqualTo(REJECTED);
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    }

    @Test
    void outcomesFromAnEarlierPhase_areIgnored() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().build());
        long straggler = breaker.tryAcquire();
        breaker.forceOpen();
        breaker.reset();

        breaker.onFailure(straggler, MILLI);

        assertThat(breaker.metrics().calls()).isZero();
    }

    @Test
    void errorsAndStatuses_areClassifiedByTheSpecsPredicates() {
        CircuitBreaker breaker = CircuitBreaker.create(
                spec().failureWhen(error -> error instanceof IOException).build());
        breaker.onError(breaker.tryAcquire(), MILLI, new IOException("reset"));
        breaker.onError(breaker.tryAcquire(), MILLI, new IllegalStateException("business"));
        breaker.onStatus(breaker.tryAcquire(), MILLI, 503);
        breaker.onStatus(breaker.tryAcquire(), MILLI, 404);
        breaker.onStatus(breaker.tryAcquire(), MILLI, 200);

        assertThat(breaker.metrics().calls()).isEqualTo(5);
        assertThat(breaker.metrics().failures()).isEqualTo(2);
    }

    @Test
    void operatorStates_overrideTheOutcomes() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().build());

        breaker.forceOpen();
        clock.advance(Duration.ofDays(1));
        assertThat(breaker.tryAcquire()).isEqualTo(REJECTED);
        assertThat(breaker.state()).isEqualTo(State.FORCED_OPEN);

        breaker.forceClosed();
        fail(breaker, 20);
        assertThat(breaker.state()).isEqualTo(State.FORCED_CLOSED);
        assertThat(breaker.metrics().failures()).isEqualTo(10);

        breaker.disable();
        fail(breaker, 20);
        assertThat(breaker.state()).isEqualTo(State.DISABLED);
        assertThat(breaker.metrics().calls()).isZero();

        breaker.reset();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().calls()).isZero();
    }

    @Test
    void listeners_seeEveryChangeInOrder_andAThrowingOneBreaksNothing() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().build());
        List<String> seen = new ArrayList<>();
        breaker.addListener(new CircuitBreaker.Listener() {
            @Override
            public void onStateChange(State from, State to, long atNanos) {
                throw new IllegalStateException("a broken listener");
            }

            @Override
            public void onRejected(State state) {
                throw new IllegalStateException("a broken listener");
            }
        });
        breaker.addListener(new CircuitBreaker.Listener() {
            @Override
            public void onStateChange(State from, State to, long atNanos) {
                seen.add(from + "->" + to);
            }

            @Override
            public void onRejected(State state) {
                seen.add("rejected in " + state);
            }
        });

        succeed(breaker, 7);
        fail(breaker, 3);
        breaker.tryAcquire();
        clock.advanceNanos(10 * SECOND);
        succeed(breaker, 2);

        assertThat(seen).containsExactly("CLOSED->OPEN", "rejected in OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void timeWindow_forgetsOutcomesOlderThanTheWindow() {
        CircuitBreaker breaker = CircuitBreaker.create(spec().timeWindow(Duration.ofSeconds(10), 10)
                .minimumCalls(4)
                .failureRatio(0.5)
                .build());
        fail(breaker, 2);
        clock.advanceNanos(10 * SECOND);
        succeed(breaker, 2);
        fail(breaker, 1);
        assertThat(breaker.metrics().calls()).isEqualTo(3);

        clock.advanceNanos(SECOND);
        fail(breaker, 1); // 2 failures of 4

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void spec_rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> CircuitBreakerSpec.builder().failureRatio(0))
                .hasMessage("failureRatio: 0.0 (expected: 1.0E-6 <= failureRatio <= 1.0)");
        assertThatThrownBy(() -> CircuitBreakerSpec.builder().halfOpen(0, Duration.ofSeconds(1)))
                .hasMessage("halfOpenProbes: 0 (expected: 1 <= halfOpenProbes <= 255)");
        assertThatThrownBy(() -> CircuitBreakerSpec.builder().countWindow(0))
                .hasMessage("windowCalls: 0 (expected: 1 <= windowCalls <= 1000000)");
        assertThatThrownBy(() -> CircuitBreakerSpec.builder().cooldown(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .hasMessage("maxCooldown: PT1S (expected: >= PT2S)");
    }
}
