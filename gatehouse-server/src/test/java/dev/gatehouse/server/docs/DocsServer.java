package dev.gatehouse.server.docs;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A bare Vert.x server on 127.0.0.1 with nothing but {@link ApiDocs} mounted on its router (what
 * the room surface will do), and a JDK client to call it.
 */
final class DocsServer implements AutoCloseable {

    /** How long a call may take: a liveness bound, not a measured time. */
    static final Duration ANSWER_BOUND = Duration.ofSeconds(20);

    private final Vertx vertx;
    private final HttpServer server;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private DocsServer(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    static DocsServer start() {
        Vertx vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        ApiDocs.mount(router);
        HttpServer server = vertx.createHttpServer(
                        new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(ANSWER_BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot start the docs server", e);
        }
        return new DocsServer(vertx, server);
    }

    int port() {
        return server.actualPort();
    }

    String origin() {
        return "http://127.0.0.1:" + port();
    }

    HttpResponse<byte[]> get(String path, String... headers) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(origin() + path)).timeout(ANSWER_BOUND);
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /**
     * Sends {@code target} as the request target of a GET, byte for byte (no client would send
     * some of them: {@code ..} segments, backslashes), and returns the whole answer.
     */
    String raw(String target) {
        return raw("GET", target);
    }

    /** {@link #raw(String)} with {@code method}, an empty body declared. */
    String raw(String method, String target) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port()), (int) ANSWER_BOUND.toMillis());
            socket.setSoTimeout((int) ANSWER_BOUND.toMillis());
            String head = method + " " + target
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            in.transferTo(answer);
            return answer.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(ANSWER_BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the docs server", e);
        }
    }
}
