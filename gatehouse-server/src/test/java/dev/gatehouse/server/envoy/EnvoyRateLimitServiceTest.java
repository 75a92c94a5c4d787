package dev.gatehouse.server.envoy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt64Value;
import dev.gatehouse.envoy.EnvoySettings;
import dev.gatehouse.envoy.wire.descriptor.RateLimitDescriptor;
import dev.gatehouse.envoy.wire.rls.RateLimitRequest;
import dev.gatehouse.envoy.wire.rls.RateLimitResponse;
import dev.gatehouse.envoy.wire.type.RateLimitUnit;
import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.Http2Connection;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.testing.http.CapturedLog;
import dev.gatehouse.testing.http.RawConnection;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's rate-limit service in {@code gatehouse serve}, called over gRPC as Envoy calls it: a client
 * built from the same wire definitions (no Gatehouse code), against envoyproxy/ratelimit's {@code rl}
 * example domain, on a manual clock. Each part of the answer Envoy reads (overall code, per-descriptor
 * status, current limit with its name and unit, remaining, time until reset, headers), requests out of
 * shape, hot reload, and hostile clients.
 */
class EnvoyRateLimitServiceTest {

    /** ShouldRateLimit as a client declares it from the protos. */
    private static final MethodDescriptor<RateLimitRequest, RateLimitResponse> SHOULD_RATE_LIMIT =
            MethodDescriptor.<RateLimitRequest, RateLimitResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName("envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit")
                    .setRequestMarshaller(ProtoUtils.marshaller(RateLimitRequest.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(RateLimitResponse.getDefaultInstance()))
                    .build();

    private static final String RL = """
            domain: rl
            descriptors:
              - key: source_cluster
                value: proxy
                descriptors:
                  - key: destination_cluster
                    value: bkthomps
                    rate_limit:
                      replaces:
                        - name: bkthomps
                      unit: minute
                      requests_per_unit: 2
              - key: foo
                rate_limit:
                  unit: minute
                  requests_per_unit: 2
                descriptors:
                  - key: bar
                    value: bkthomps
                    rate_limit:
                      name: bkthomps
                      unit: minute
                      requests_per_unit: 1
                  - key: baz
                    value: not-so-shady
                    rate_limit:
                      unit: minute
                      requests_per_unit: 3
                  - key: baz
                    value: shady
                    rate_limit:
                      unit: minute
                      requests_per_unit: 3
                    shadow_mode: true
              - key: qux
                rate_limit:
                  unlimited: true
            """;

    /** 20 s before a minute ends. */
    private final ManualClock clock = new ManualClock(1_700_000_020L * 1_000_000_000L);

    @TempDir
    Path dir;

    private TestServer server;
    private ManagedChannel channel;

    private void start(Map<Setting<?>, String> more) throws Exception {
        Path config = dir.resolve("config");
        Files.createDirectories(config);
        Files.writeString(config.resolve("rl.yaml"), RL);
        Map<Setting<?>, String> settings = new HashMap<>(Map.of(
                EnvoySettings.CONFIG, config.toString(),
                EnvoySettings.HOST, "127.0.0.1",
                EnvoySettings.PORT, "0"));
        settings.putAll(more);
        server = TestServer.start(settings, clock);
        channel = NettyChannelBuilder.forAddress(
                        "127.0.0.1", server.server().envoyPort().orElseThrow())
                .usePlaintext()
                .build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    private RateLimitResponse call(RateLimitRequest request) {
        return ClientCalls.blockingUnaryCall(
                channel, SHOULD_RATE_LIMIT, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
    }

    private static RateLimitDescriptor descriptor(String... keyValues) {
        RateLimitDescriptor.Builder descriptor = RateLimitDescriptor.newBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            descriptor.addEntries(
                    RateLimitDescriptor.Entry.newBuilder().setKey(keyValues[i]).setValue(keyValues[i + 1]));
        }
        return descriptor.build();
    }

    private static RateLimitRequest request(String domain, RateLimitDescriptor... descriptors) {
        return RateLimitRequest.newBuilder()
                .setDomain(domain)
                .addAllDescriptors(List.of(descriptors))
                .build();
    }

    @Test
    void envoyReadsEveryPartOfTheAnswer() throws Exception {
        start(Map.of());
        RateLimitRequest notSoShady = request("rl", descriptor("foo", "pelle", "baz", "not-so-shady"));
        RateLimitResponse first = call(notSoShady);
        assertThat(first.getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        RateLimitResponse.DescriptorStatus status = first.getStatuses(0);
        assertThat(status.getCode()).isEqualTo(RateLimitResponse.Code.OK);
        assertThat(status.getCurrentLimit().getRequestsPerUnit()).isEqualTo(3);
        assertThat(status.getCurrentLimit().getUnit()).isEqualTo(RateLimitResponse.RateLimit.Unit.MINUTE);
        assertThat(status.getLimitRemaining()).isEqualTo(2);
        assertThat(status.getDurationUntilReset().getSeconds()).isEqualTo(20);
        call(notSoShady);
        call(notSoShady);
        RateLimitResponse fourth = call(notSoShady);
        assertThat(fourth.getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
        assertThat(fourth.getStatuses(0).getCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
        assertThat(fourth.getStatuses(0).getLimitRemaining()).isZero();
        assertThat(fourth.getResponseHeadersToAddList()).as("off by default").isEmpty();

        RateLimitResponse named = call(request("rl", descriptor("foo", "x", "bar", "bkthomps")));
        assertThat(named.getStatuses(0).getCurrentLimit().getName()).isEqualTo("bkthomps");
        RateLimitResponse unlimited = call(request("rl", descriptor("qux", "q")));
        assertThat(unlimited.getStatuses(0).hasCurrentLimit()).isFalse();
        assertThat(Integer.toUnsignedLong(unlimited.getStatuses(0).getLimitRemaining()))
                .isEqualTo(4_294_967_295L);
        RateLimitResponse unknown = call(request("nope", descriptor("a", "b")));
        assertThat(unknown.getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        assertThat(unknown.getStatuses(0).hasCurrentLimit()).isFalse();

        clock.advance(Duration.ofSeconds(20)); // the next minute: a new window
        assertThat(call(notSoShady).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
    }

    @Test
    void shadowModeReplacesHitsAddendsOverridesAndHeaders() throws Exception {
        start(Map.of(EnvoySettings.RESPONSE_HEADERS, "true"));
        RateLimitRequest shady = request("rl", descriptor("foo", "p", "baz", "shady"));
        for (int i = 0; i < 5; i++) {
            assertThat(call(shady).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        }
        RateLimitRequest replaced = request(
                "rl",
                descriptor("foo", "my_foo", "bar", "bkthomps"),
                descriptor("source_cluster", "proxy", "destination_cluster", "bkthomps"));
        RateLimitResponse once = call(replaced);
        assertThat(once.getStatuses(0).hasCurrentLimit()).as("replaced").isFalse();
        assertThat(once.getResponseHeadersToAddList())
                .extracting(header -> header.getKey() + ": " + header.getValue())
                .containsExactly("RateLimit-Limit: 2", "RateLimit-Remaining: 1", "RateLimit-Reset: 20");
        call(replaced);
        assertThat(call(replaced).getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);

        RateLimitRequest five = RateLimitRequest.newBuilder()
                .setDomain("rl")
                .addDescriptors(descriptor("foo", "hits", "baz", "not-so-shady"))
                .setHitsAddend(3)
                .build();
        assertThat(call(five).getStatuses(0).getLimitRemaining()).isZero();
        RateLimitDescriptor checkOnly = descriptor("foo", "hits", "baz", "not-so-shady").toBuilder()
                .setHitsAddend(UInt64Value.of(0))
                .build();
        assertThat(call(request("rl", checkOnly)).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        RateLimitDescriptor overridden = descriptor("foo", "hits", "baz", "not-so-shady").toBuilder()
                .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder()
                        .setRequestsPerUnit(10)
                        .setUnit(RateLimitUnit.MINUTE))
                .build();
        RateLimitResponse override = call(request("rl", overridden));
        assertThat(override.getStatuses(0).getCurrentLimit().getRequestsPerUnit())
                .isEqualTo(10);
        assertThat(override.getStatuses(0).getLimitRemaining())
                .as("the same counter: 3 + 1 of 10")
                .isEqualTo(6);
    }

    /** Every answer counted by outcome on the admin listener's /metrics, as docs/server.md says. */
    @Test
    void answersAreCountedByOutcomeOnTheAdminListener() throws Exception {
        start(Map.of());
        call(request("rl", descriptor("qux", "q")));
        RateLimitRequest limited = request("rl", descriptor("foo", "metrics", "bar", "bkthomps"));
        call(limited);
        call(limited);
        org.assertj.core.api.Assertions.catchThrowable(() -> call(request("", descriptor("a", "b"))));
        String metrics = server.send(java.net.http.HttpRequest.newBuilder(server.admin("/metrics"))
                        .build())
                .body();
        assertThat(metrics)
                .contains("gatehouse_envoy_requests_total{outcome=\"ok\"} 2.0")
                .contains("gatehouse_envoy_requests_total{outcome=\"over_limit\"} 1.0")
                .contains("gatehouse_envoy_requests_total{outcome=\"invalid\"} 1.0");
    }

    @Test
    void requestsOutOfShapeAreInvalidArgumentNamingWhy() throws Exception {
        start(Map.of());
        assertThat(statusOf(request("", descriptor("a", "b"))).getDescription())
                .isEqualTo("rate limit domain must not be empty");
        assertThat(statusOf(request("rl")).getDescription()).isEqualTo("rate limit descriptor list must not be empty");
        assertThat(statusOf(request("rl", RateLimitDescriptor.getDefaultInstance()))
                        .getDescription())
                .contains("descriptors[0]: 0 entries");
        RateLimitDescriptor unknownUnit = descriptor("a", "b").toBuilder()
                .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(1))
                .build();
        assertThat(statusOf(request("rl", unknownUnit)).getDescription()).contains("descriptors[0].limit.unit: 0");
        assertThat(statusOf(request("rl", descriptor("a", "x".repeat(2000)))).getDescription())
                .contains("2000 characters");
    }

    private Status statusOf(RateLimitRequest request) {
        StatusRuntimeException refused =
                (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(() -> call(request));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        return refused.getStatus();
    }

    @Test
    void aChangedConfigurationAppliesAndABrokenOneIsKept() throws Exception {
        start(Map.of(EnvoySettings.RELOAD_INTERVAL_MILLIS, "1000"));
        assertThat(call(request("second", descriptor("k", "v"))).getStatuses(0).hasCurrentLimit())
                .isFalse();
        Path config = dir.resolve("config");
        Path staged = dir.resolve("staged.yaml");
        Files.writeString(
                staged,
                "domain: second\ndescriptors:\n  - key: k\n    rate_limit: {unit: hour, requests_per_unit: 7}\n");
        Files.move(staged, config.resolve("second.yaml"), StandardCopyOption.ATOMIC_MOVE);
        clock.advance(Duration.ofSeconds(1));
        assertThat(call(request("second", descriptor("k", "v"))).getStatuses(0).getLimitRemaining())
                .isEqualTo(6);

        Files.writeString(staged, "domain: second\nbogus: true\n");
        Files.move(
                staged,
                config.resolve("second.yaml"),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        clock.advance(Duration.ofSeconds(1));
        assertThat(call(request("second", descriptor("k", "v"))).getStatuses(0).getLimitRemaining())
                .as("the broken file is refused, the descriptors in force kept")
                .isEqualTo(5);
    }

    /** Two replicas on one Redis count in the same windows: Envoys spread over them see one limit. */
    @Test
    void replicasOnOneRedisShareTheWindows() throws Exception {
        Map<Setting<?>, String> redis = Map.of(
                StoreSettings.TYPE,
                "redis",
                StoreSettings.REDIS_URL,
                RequiredServices.redis(),
                EnvoySettings.KEY_PREFIX,
                "gatehouse-test:envoy:" + UUID.randomUUID() + ":");
        start(redis);
        Map<Setting<?>, String> second = new HashMap<>(redis);
        second.put(EnvoySettings.CONFIG, dir.resolve("config").toString());
        second.put(EnvoySettings.HOST, "127.0.0.1");
        second.put(EnvoySettings.PORT, "0");
        try (TestServer other = TestServer.start(second, clock)) {
            ManagedChannel otherChannel = NettyChannelBuilder.forAddress(
                            "127.0.0.1", other.server().envoyPort().orElseThrow())
                    .usePlaintext()
                    .build();
            try {
                RateLimitRequest shady = request("rl", descriptor("foo", "shared", "baz", "not-so-shady"));
                List<Integer> remaining = new java.util.ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    RateLimitResponse answer = i % 2 == 0
                            ? call(shady)
                            : ClientCalls.blockingUnaryCall(
                                    otherChannel,
                                    SHOULD_RATE_LIMIT,
                                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                                    shady);
                    remaining.add(answer.getStatuses(0).getLimitRemaining());
                }
                assertThat(remaining).containsExactly(2, 1, 0);
                assertThat(ClientCalls.blockingUnaryCall(
                                        otherChannel,
                                        SHOULD_RATE_LIMIT,
                                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                                        shady)
                                .getOverallCode())
                        .isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
            } finally {
                otherChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void hostileClientsAreRefusedWithoutAnErrorLogged() throws Exception {
        start(Map.of());
        List<java.util.logging.LogRecord> julRecords = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler jul = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (isLoggable(record)) {
                    julRecords.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.setLevel(java.util.logging.Level.INFO);
        java.util.logging.Logger.getLogger("").addHandler(jul); // grpc-java logs through java.util.logging
        try (CapturedLog log = CapturedLog.start()) {
            // a message past the bound
            RateLimitRequest huge = request("rl", descriptor("a", "b")).toBuilder()
                    .addDescriptors(descriptor("pad", "x".repeat(70_000)))
                    .build();
            assertThatThrownBy(() -> call(huge))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
            // bytes that are no RateLimitRequest
            MethodDescriptor<InputStream, RateLimitResponse> raw = SHOULD_RATE_LIMIT.toBuilder(
                            new BytesMarshaller(), SHOULD_RATE_LIMIT.getResponseMarshaller())
                    .build();
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(
                            channel,
                            raw,
                            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                            new ByteArrayInputStream(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0a, 0x7f})))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
            // a small compressed message that inflates past the bound
            RateLimitRequest inflating = request("rl", descriptor("a", "b")).toBuilder()
                    .addDescriptors(descriptor("pad", "z".repeat(1000)))
                    .addDescriptors(descriptor("pad", "y".repeat(1000)))
                    .build();
            RateLimitRequest.Builder bomb = inflating.toBuilder();
            for (int i = 0; i < 80; i++) { // 80 KB inflated, a few hundred bytes sent
                bomb.addDescriptors(descriptor("pad", "x".repeat(1000)));
            }
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(
                            channel,
                            SHOULD_RATE_LIMIT,
                            CallOptions.DEFAULT.withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS),
                            bomb.build()))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
            // a grpc-timeout that is no duration: the stream is reset, nothing is logged
            try (Http2Connection h2 =
                    Http2Connection.open(server.server().envoyPort().orElseThrow())) {
                h2.send(h2.headers(
                        1,
                        new DefaultHttp2Headers()
                                .method("POST")
                                .scheme("http")
                                .authority("127.0.0.1")
                                .path("/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit")
                                .add("content-type", "application/grpc")
                                .add("te", "trailers")
                                .add("grpc-timeout", "bogus"),
                        true));
                for (int i = 0; i < 10; i++) {
                    Optional<Http2Connection.Frame> frame = h2.read();
                    if (frame.isEmpty()
                            || frame.get().type() == Http2Connection.RST_STREAM
                            || frame.get().type() == Http2Connection.GOAWAY) {
                        break;
                    }
                }
            }
            // HTTP/1.1 on the gRPC port, and a client that connects and says nothing
            try (RawConnection http1 =
                    RawConnection.open(server.server().envoyPort().orElseThrow())) {
                http1.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                http1.readUntilClosed();
            }
            // the service still answers
            assertThat(call(request("rl", descriptor("qux", "q"))).getOverallCode())
                    .isEqualTo(RateLimitResponse.Code.OK);
            log.assertNoErrorOrStackTrace();
        } finally {
            java.util.logging.Logger.getLogger("").removeHandler(jul);
        }
        assertThat(julRecords)
                .extracting(record -> record.getLevel() + " " + record.getLoggerName() + ": " + record.getMessage())
                .isEmpty();
    }

    /** Sends whatever bytes it is given. */
    private static final class BytesMarshaller implements MethodDescriptor.Marshaller<InputStream> {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    }
}
