package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What one upstream call reports to the adaptive limit (the upstream's own time) and to the breaker
 * (an answer's whole, not only its head).
 */
final class UpstreamCallTest {

    private final ManualClock clock = new ManualClock();

    private final LivePolicy policy = policy("adaptive: {enabled: true, algorithm: aimd, initial_limit: 20}\n");

    private final LivePolicy breaking =
            policy("circuit_breaker: {failure_ratio: 0.5, min_samples: 2, cooldown: 10s, half_open_max: 1}\n");

    private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), policy);

    @Test
    void aClientsSlowUploadIsNotTheUpstreamsLatency() {
        AdaptiveLimiter limiter = policy.current().adaptive().orElseThrow();
        UpstreamCall call = new UpstreamCall(policy.current(), clock, metrics, Optional.empty(), null);
        assertThat(call.begin()).isNull();

        clock.advance(Duration.ofSeconds(30)); // the client sends its body, slowly
        call.sent();
        clock.advance(Duration.ofMillis(2)); // the upstream answers
        call.answered(200);

        // AIMD takes a call over 5 s as a drop and shrinks: the upstream took 2 ms
        assertThat(limiter.limit()).isEqualTo(20);
        assertThat(limiter.inFlight()).isZero();
    }

    @Test
    void aSlowUpstreamIsStillSlow() {
        AdaptiveLimiter limiter = policy.current().adaptive().orElseThrow();
        UpstreamCall call = new UpstreamCall(policy.current(), clock, metrics, Optional.empty(), null);
        assertThat(call.begin()).isNull();

        call.sent();
        clock.advance(Duration.ofSeconds(30));
        call.answered(200);

        assertThat(limiter.limit()).isLessThan(20);
    }

    @Test
    void anAnswerCutOffAfterAGoodHeadIsABreakerFailure() {
        CircuitBreaker breaker = breaking.current().breaker().orElseThrow();
        for (int i = 0; i < 2; i++) {
            UpstreamCall call = call(breaking);
            call.answered(200);
            call.brokeOff(); // the upstream closed, or went silent, in the middle of the body
            call.finished(200);
        }

        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void aGoodHeadIsJudgedWhenItsAnswerEnds() {
        CircuitBreaker breaker = breaking.current().breaker().orElseThrow();
        UpstreamCall call = call(breaking);
        call.answered(200);

        assertThat(breaker.metrics().calls()).isZero(); // its body is still coming
        call.finished(200);
        assertThat(breaker.metrics().calls()).isOne();
        assertThat(breaker.metrics().failures()).isZero();
    }

    @Test
    void aHalfOpenBreakersProbeIsJudgedByItsHead() {
        CircuitBreaker breaker = breaking.current().breaker().orElseThrow();
        for (int i = 0; i < 2; i++) {
            UpstreamCall call = call(breaking);
            call.answered(500);
            call.finished(500);
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        clock.advance(Duration.ofSeconds(10));

        UpstreamCall probe = call(breaking); // say a stream of events, open for minutes
        probe.answered(200);

        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        probe.finished(200);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    private UpstreamCall call(LivePolicy under) {
        UpstreamCall call = new UpstreamCall(under.current(), clock, metrics, Optional.empty(), null);
        assertThat(call.begin()).isNull();
        call.sent();
        return call;
    }

    private LivePolicy policy(String sections) {
        return new LivePolicy(
                GatewayConfig.parse("upstream: http://127.0.0.1:1\n" + sections),
                clock,
                clock,
                clock,
                HmacSecrets.of(new byte[32]),
                NonceStore.inMemory(clock, clock, 100));
    }
}
