package dev.gatehouse.client;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server on 127.0.0.1 that answers each path as a test says, records the requests it was sent, and
 * answers unknown paths 404. Each exchange runs on a thread of its own, so a slow answer holds up
 * nothing else.
 */
final class FakeServer implements AutoCloseable {

    /** How a path is answered. */
    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** A request as the server saw it. */
    record Request(String method, String rawPath, Headers headers) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            requests.add(new Request(exchange.getRequestMethod(), path, exchange.getRequestHeaders()));
            counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            Handler handler = handlers.get(path);
            try (exchange) {
                if (handler == null) {
                    send(exchange, 404, "application/json", "{\"detail\":\"Not Found\"}");
                } else {
                    handler.handle(exchange);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client went away (a timeout, a cut-off body): nothing more to send
            }
        });
        server.start();
    }

    /** Answers {@code path} (raw, as sent) with {@code handler} from now on. */
    FakeServer on(String path, Handler handler) {
        handlers.put(path, handler);
        return this;
    }

    /** Answers {@code path} with {@code status}, {@code type} and {@code body} (and {@code headers}: name, value, …). */
    FakeServer answer(String path, int status, String type, String body, String... headers) {
        return on(path, exchange -> {
            for (int i = 0; i + 1 < headers.length; i += 2) {
                exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
            }
            send(exchange, status, type, body);
        });
    }

    static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!type.isEmpty()) {
            exchange.getResponseHeaders().set("Content-Type", type);
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    List<Request> requests() {
        return requests;
    }

    int count(String path) {
        AtomicInteger count = counts.get(path);
        return count == null ? 0 : count.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
