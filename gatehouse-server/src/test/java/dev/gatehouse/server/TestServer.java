package dev.gatehouse.server;

import dev.gatehouse.http.Listeners;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.server.rate.RateSettings;
import dev.gatehouse.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A server started in this JVM on free ports, with a JDK HTTP client to call it. */
public final class TestServer implements AutoCloseable {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    private final GatehouseServer server;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private TestServer(GatehouseServer server) {
        this.server = server;
    }

    /** Starts a server configured by {@code settings} on 127.0.0.1 and free ports. */
    public static TestServer start(Map<Setting<?>, String> settings) {
        return new TestServer(GatehouseServer.start(config(settings)));
    }

    /**
     * {@link #start(Map)} on virtual time: {@code clock} is the server's clock and runs its timers, so
     * windows roll and idle keys go only when the test advances it.
     */
    public static TestServer start(Map<Setting<?>, String> settings, ManualClock clock) {
        return new TestServer(GatehouseServer.start(config(settings), clock, clock, clock));
    }

    private static ResolvedSettings config(Map<Setting<?>, String> settings) {
        Map<Setting<?>, String> flags = new HashMap<>();
        flags.put(RateSettings.HOST, "127.0.0.1");
        flags.put(RateSettings.PORT, "0");
        flags.put(Listeners.ADMIN_PORT, "0");
        flags.putAll(settings);
        return ResolvedSettings.resolve(GatehouseServer.SETTINGS, Optional.empty(), flags, Map.of());
    }

    public GatehouseServer server() {
        return server;
    }

    public URI rate(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.ratePort() + pathAndQuery);
    }

    public URI admin(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.adminPort() + pathAndQuery);
    }

    /** Sends {@code method} to the rate listener and waits for the answer. */
    public HttpResponse<String> send(String method, String pathAndQuery, String... headers) {
        return send(request(method, rate(pathAndQuery), headers));
    }

    public HttpResponse<String> get(String pathAndQuery, String... headers) {
        return send("GET", pathAndQuery, headers);
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends a GET to the rate listener without waiting. */
    public CompletableFuture<HttpResponse<String>> getAsync(String pathAndQuery) {
        return client.sendAsync(request("GET", rate(pathAndQuery)), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpRequest request(String method, URI uri, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return builder.build();
    }

    @Override
    public void close() {
        server.close();
        client.close();
    }
}
