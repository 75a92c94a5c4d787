package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.envoy.wire.descriptor.RateLimitDescriptor;
import dev.gatehouse.envoy.wire.rls.RateLimitRequest;
import dev.gatehouse.envoy.wire.rls.RateLimitResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's runtime, as far as it can be tried without a container engine: {@code
 * deploy/jlink.sh} (what the Dockerfile runs) makes a runtime from the packaged jar, and {@code
 * gatehouse serve} starts on it and answers.
 */
class JlinkedRuntimeIT {

    private static final Pattern LISTENER = Pattern.compile("^\\s+(rate API|admin)\\s+http://[^\\s:]+:(\\d+)");

    @TempDir
    Path dir;

    private static final Pattern ENVOY = Pattern.compile("envoy RLS grpc://127\\.0\\.0\\.1:(\\d+)");

    @Test
    void theJarServesOnTheRuntimeJlinkMakes() throws Exception {
        Path jar = Path.of("target", "gatehouse.jar").toAbsolutePath();
        assertThat(jar).exists();
        Path runtime = dir.resolve("jre");
        ProcessBuilder link = new ProcessBuilder(
                        "bash", Path.of("..", "deploy", "jlink.sh").toString(), jar.toString(), runtime.toString())
                .redirectErrorStream(true);
        link.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process linking = link.start();
        String linked = new String(linking.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(linking.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(linking.exitValue()).as(linked).isZero();
        assertThat(runtime.resolve("bin/java")).exists();
        assertThat(Files.exists(runtime.resolve("jmods")))
                .as("a runtime, not a JDK")
                .isFalse();

        Path envoyConfig = dir.resolve("rl.yaml");
        Files.writeString(
                envoyConfig,
                "domain: rl\ndescriptors:\n  - key: k\n    rate_limit: {unit: minute, requests_per_unit: 1}\n");
        Process serve = new ProcessBuilder(
                        runtime.resolve("bin/java").toString(),
                        "-jar",
                        jar.toString(),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "-p",
                        "0",
                        "--admin-port",
                        "0",
                        "--envoy-config",
                        envoyConfig.toString(),
                        "--grpc-host",
                        "127.0.0.1",
                        "--grpc-port",
                        "0")
                .redirectErrorStream(true)
                .start();
        try {
            int ratePort = 0;
            int adminPort = 0;
            List<String> seen = new ArrayList<>();
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((ratePort == 0 || adminPort == 0) && (line = out.readLine()) != null) {
                seen.add(line);
                Matcher listener = LISTENER.matcher(line);
                if (listener.find()) {
                    int port = Integer.parseInt(listener.group(2));
                    if (listener.group(1).equals("admin")) {
                        adminPort = port;
                    } else {
                        ratePort = port;
                    }
                }
            }
            assertThat(ratePort).as(String.join("\n", seen)).isPositive();
            assertThat(adminPort).isPositive();
            HttpClient client = HttpClient.newHttpClient();
            assertThat(get(client, adminPort, "/readyz").statusCode()).isEqualTo(200);
            HttpResponse<String> decided = get(client, ratePort, "/rate/from-the-jlinked-runtime");
            assertThat(decided.statusCode()).isEqualTo(200);
            assertThat(decided.headers().firstValue("RateLimit")).isPresent();

            // Envoy's rate-limit service (grpc-java on its own Netty) runs on the runtime too
            Matcher envoy = ENVOY.matcher(String.join("\n", seen));
            assertThat(envoy.find()).as(String.join("\n", seen)).isTrue();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(envoy.group(1)))
                    .usePlaintext()
                    .build();
            try {
                RateLimitRequest request = RateLimitRequest.newBuilder()
                        .setDomain("rl")
                        .addDescriptors(RateLimitDescriptor.newBuilder()
                                .addEntries(RateLimitDescriptor.Entry.newBuilder()
                                        .setKey("k")
                                        .setValue("v")))
                        .build();
                MethodDescriptor<RateLimitRequest, RateLimitResponse> shouldRateLimit =
                        MethodDescriptor.<RateLimitRequest, RateLimitResponse>newBuilder()
                                .setType(MethodDescriptor.MethodType.UNARY)
                                .setFullMethodName("envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit")
                                .setRequestMarshaller(ProtoUtils.marshaller(RateLimitRequest.getDefaultInstance()))
                                .setResponseMarshaller(ProtoUtils.marshaller(RateLimitResponse.getDefaultInstance()))
                                .build();
                CallOptions deadline = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
                assertThat(ClientCalls.blockingUnaryCall(channel, shouldRateLimit, deadline, request)
                                .getOverallCode())
                        .isEqualTo(RateLimitResponse.Code.OK);
                assertThat(ClientCalls.blockingUnaryCall(channel, shouldRateLimit, deadline, request)
                                .getOverallCode())
                        .isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
            } finally {
                channel.shutdownNow();
            }
        } finally {
            serve.destroy();
            if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
    }

    private static HttpResponse<String> get(HttpClient client, int port, String path)
            throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
