package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What one upstream call reports to the adaptive limit: the upstream's own time. */
final class UpstreamCallTest {

    private final ManualClock clock = new ManualClock();

    private final LivePolicy policy = new LivePolicy(
            GatewayConfig.parse("upstream: http://127.0.0.1:1\n"
                    + "adaptive: {enabled: true, algorithm: aimd, initial_limit: 20}\n"),
            clock,
            clock,
            clock,
            HmacSecrets.of(new byte[32]),
            NonceStore.inMemory(clock, clock, 100));

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
}
