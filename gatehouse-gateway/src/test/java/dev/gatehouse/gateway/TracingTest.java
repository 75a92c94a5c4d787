package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Spans arrive at an OTLP/HTTP receiver in the test: one for the request (under the caller's
 * trace), one per stage it passed, one for the upstream call, whose context the upstream gets.
 */
final class TracingTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

    private final Vertx vertx = Vertx.vertx();
    private final List<byte[]> exports = new CopyOnWriteArrayList<>();
    private HttpServer receiver;
    private TestUpstream upstream;

    @BeforeEach
    void start() throws Exception {
        receiver = vertx.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(body -> {
                    if (request.path().equals("/v1/traces")) {
                        exports.add(body.getBytes());
                    }
                    request.response()
                            .putHeader("Content-Type", "application/x-protobuf")
                            .end();
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        upstream = TestUpstream.start();
    }

    @AfterEach
    void stop() throws Exception {
        upstream.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private String config(double ratio) {
        return "upstream: " + upstream.url() + "\n" + """
                rate_limit: {rps: 1000}
                circuit_breaker: {min_samples: 20}
                tracing:
                  enabled: true
                  otlp_http_endpoint: http://127.0.0.1:%d
                  service_name: gateway-under-test
                  sampling_ratio: %s
                """.formatted(receiver.actualPort(), ratio);
    }

    @Test
    void aSpanPerStageArrivesUnderTheCallersTraceAndTheUpstreamGetsItsCallsContext() {
        try (TestGateway gateway = TestGateway.start(config(1))) {
            assertThat(gateway.get("/traced", "traceparent", TRACEPARENT).statusCode())
                    .isEqualTo(200);

            String forwarded = upstream.last().headers().get("traceparent");
            assertThat(forwarded).startsWith("00-" + TRACE_ID + "-").endsWith("-01");
            assertThat(forwarded).as("the call's own span, not the caller's").isNotEqualTo(TRACEPARENT);
        } // closing flushes the spans

        byte[] all = concatenated();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        assertThat(text)
                .contains("gatehouse.request", "gatehouse.rate_limit", "gatehouse.breaker", "gatehouse.upstream")
                .contains("gateway-under-test");
        assertThat(indexOf(all, HexFormat.of().parseHex(TRACE_ID)))
                .as("the caller's trace id")
                .isNotNegative();
    }

    @Test
    void aNegativeRatioSamplesNothing() {
        try (TestGateway gateway = TestGateway.start(config(-1))) {
            assertThat(gateway.get("/untraced", "traceparent", TRACEPARENT).statusCode())
                    .isEqualTo(200);
        }

        assertThat(new String(concatenated(), StandardCharsets.ISO_8859_1)).doesNotContain("gatehouse.request");
    }

    @Test
    void theTracesUrlIsTheEndpointsUnlessItNamesAPath() {
        assertThat(GatewayTracing.tracesUrl("http://collector:4318")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(GatewayTracing.tracesUrl("http://collector:4318/")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(GatewayTracing.tracesUrl("http://collector:4318/custom/traces"))
                .isEqualTo("http://collector:4318/custom/traces");
    }

    private byte[] concatenated() {
        int length = exports.stream().mapToInt(b -> b.length).sum();
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] export : exports) {
            System.arraycopy(export, 0, all, at, export.length);
            at += export.length;
        }
        return all;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
