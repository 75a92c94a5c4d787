package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.http.RawConnection;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The adaptive concurrency stage: past its limit of calls in flight, requests are shed with 503. */
final class AdaptiveLimitTest {

    private TestUpstream upstream;

    @BeforeEach
    void start() {
        upstream = TestUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    @Test
    void aRequestPastTheLimitIsShedAndTheSlotReturnsWhenTheCallEnds() throws Exception {
        try (TestGateway gateway = TestGateway.start("upstream: " + upstream.url() + "\n"
                + "adaptive: {enabled: true, algorithm: aimd, initial_limit: 1, min_limit: 1, max_limit: 1}\n")) {
            HttpResponse<String> shed;
            try (RawConnection inFlight = RawConnection.open(gateway.port())) {
                inFlight.send("GET /hang HTTP/1.1\r\nHost: a\r\n\r\n");
                TestGateway.awaitCondition(() -> upstream.seen().size() == 1);

                shed = gateway.get("/other");
            } // the client of the call in flight goes away: its slot is free again

            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(shed.body()).isEqualTo("service temporarily unavailable\n");
            assertThat(shed.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(upstream.seen()).hasSize(1);
            TestGateway.awaitCondition(() -> gateway.get("/after").statusCode() == 200);
            assertThat(gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""))
                            .body())
                    .as("shed at least once (the wait for the slot may shed again)")
                    .doesNotContain("gatehouse_requests_total{outcome=\"shed\"} 0.0");
        }
    }
}
