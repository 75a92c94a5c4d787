package dev.gatehouse.gateway;

import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A gateway started from a YAML text on free ports of 127.0.0.1, and an HTTP/1.1 client for it. */
final class TestGateway implements AutoCloseable {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    private final Gateway gateway;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private TestGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    /** The gateway {@code yaml} describes (listen and admin_listen are set here), on the system clocks. */
    static TestGateway start(String yaml) {
        return new TestGateway(Gateway.start(config(yaml), Optional.empty()));
    }

    /** On virtual time: {@code clock} decides and runs the timers. */
    static TestGateway start(String yaml, ManualClock clock) {
        return new TestGateway(Gateway.start(config(yaml), Optional.empty(), clock, clock, clock));
    }

    /** The gateway {@code file} describes, watching it for changes; {@code clock} runs the checks. */
    static TestGateway startWatching(Path file, ManualClock clock) {
        return new TestGateway(Gateway.start(GatewayConfig.read(file), Optional.of(file), clock, clock, clock));
    }

    /** {@code yaml} with the listeners on free ports of 127.0.0.1, as a file's text. */
    static String onFreePorts(String yaml) {
        return "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n" + yaml;
    }

    private static GatewayConfig config(String yaml) {
        return GatewayConfig.parse(onFreePorts(yaml));
    }

    int port() {
        return gateway.port();
    }

    int adminPort() {
        return gateway.adminPort();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + gateway.port() + pathAndQuery);
    }

    URI admin(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery, String... headers) {
        return send(request("GET", uri(pathAndQuery), "", headers));
    }

    HttpResponse<String> post(String pathAndQuery, String body, String... headers) {
        return send(request("POST", uri(pathAndQuery), body, headers));
    }

    HttpResponse<String> send(String method, String pathAndQuery) {
        return send(request(method, uri(pathAndQuery), "", new String[0]));
    }

    CompletableFuture<HttpResponse<String>> getAsync(String pathAndQuery) {
        return client.sendAsync(
                request("GET", uri(pathAndQuery), "", new String[0]), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpRequest request(String method, URI uri, String body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .method(
                        method,
                        body.isEmpty()
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return builder.build();
    }

    /** Polls {@code condition} until it holds, failing after a liveness bound. */
    static void awaitCondition(java.util.function.BooleanSupplier condition) {
        Await.until(REQUEST_TIMEOUT, condition);
    }

    /** Waits until {@code count} stays the same for 20 polls (something stopped), or reaches {@code all}. */
    static void awaitStill(java.util.function.LongSupplier count, long all) {
        long[] last = {-1};
        int[] still = {0};
        TestGateway.awaitCondition(() -> {
            long now = count.getAsLong();
            still[0] = now > 0 && now == last[0] ? still[0] + 1 : 0;
            last[0] = now;
            return still[0] >= 20 || now == all;
        });
    }

    @Override
    public void close() {
        gateway.close();
    }
}
