package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Stages;
import dev.gatehouse.testing.http.RawConnection;
import java.net.http.HttpResponse;
import java.time.Duration;
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

    /**
     * The adaptive limit judges the upstream by its own time, from the request's end sent: a client
     * that takes longer than AIMD's 5 s timeout to send its body, to an upstream that answers at once,
     * is no slow call and lowers no limit.
     */
    @Test
    void aSlowUploadIsNotTheUpstreamsLatency() throws Exception {
        ManualClock clock = new ManualClock();
        try (TestGateway gateway = TestGateway.start(
                        "upstream: " + upstream.url() + "\n"
                                + "adaptive: {enabled: true, algorithm: aimd, initial_limit: 20}\n",
                        clock);
                RawConnection client = RawConnection.open(gateway.port())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234");
            assertThat(upstream.awaitHead(Stages.PATIENCE)).isEqualTo("/upload");
            clock.advance(Duration.ofSeconds(30)); // the client sends the rest, slowly

            String answer = client.send("56789").readAnswers(1);

            assertThat(RawConnection.status(answer)).isEqualTo(200);
            assertThat(upstream.last().body()).isEqualTo("0123456789");
            assertThat(gateway.send(TestGateway.request("GET", gateway.admin("/metrics"), ""))
                            .body())
                    .contains("gatehouse_adaptive_limit 20.0");
        }
    }
}
