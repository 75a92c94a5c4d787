package dev.gatehouse.example;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** The shop started as its users start it (its own application.yml, an ephemeral port), and a client of it. */
final class RunningShop implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final HttpClient client = HttpClient.newHttpClient();
    private final int port;

    private RunningShop(ConfigurableApplicationContext context) {
        this.context = context;
        this.port = ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    /** The shop with {@code properties} ({@code name=value}) over its application.yml, and {@code beans} beside it. */
    static RunningShop start(List<String> properties, Class<?>... beans) {
        List<Class<?>> sources = new ArrayList<>(List.of(ShopApplication.class));
        sources.addAll(List.of(beans));
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--spring.main.banner-mode=off"));
        properties.forEach(property -> args.add("--" + property));
        return new RunningShop(
                new SpringApplication(sources.toArray(Class<?>[]::new)).run(args.toArray(String[]::new)));
    }

    /** The shop in memory (no Redis, although Spring Data Redis is on the tests' class path). */
    static RunningShop inMemory(Class<?>... beans) {
        return start(List.of("gatehouse.redis.enabled=false", "management.health.redis.enabled=false"), beans);
    }

    <T> T bean(String name, Class<T> type) {
        return context.getBean(name, type);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    HttpResponse<String> options(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://shop.example")
                .header("Access-Control-Request-Method", "POST"));
    }

    HttpResponse<String> post(String path, String... headers) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()), headers);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String... headers)
            throws IOException, InterruptedException {
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        client.close();
        context.close();
    }
}
