package dev.gatehouse.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The backend of the gateway tests: answers {@code upstream <uri>} (as Wicket's integration test's
 * stub does), or a status set by the test, or nothing at all; keeps the heads it was sent. Paths
 * under {@code /hang} are never answered, {@code /hop} answers with hop-by-hop headers of its own,
 * {@code /chunked} answers a body of unknown length, {@code /truncate} and {@code /truncate-chunked} hang up in the middle of their body, and WebSocket
 * upgrades are echoed.
 */
final class TestUpstream implements AutoCloseable {

    /** What the upstream saw of one request. */
    record Seen(String method, String uri, MultiMap headers, String body) {}

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private volatile boolean silent;

    private TestUpstream() {
        server = vertx.createHttpServer()
                .webSocketHandler(socket -> socket.textMessageHandler(socket::writeTextMessage))
                .requestHandler(this::answer);
        try {
            server.listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static TestUpstream start() {
        return new TestUpstream();
    }

    String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    int port() {
        return server.actualPort();
    }

    /** Every answer from now has {@code code}. */
    void answerWith(int code) {
        status.set(code);
    }

    /** From now, requests are read and never answered. */
    void goSilent() {
        silent = true;
    }

    /** The requests seen so far, oldest first. */
    java.util.List<Seen> seen() {
        return java.util.List.copyOf(seen);
    }

    @Nullable
    Seen last() {
        Seen last = null;
        for (Seen s : seen) {
            last = s;
        }
        return last;
    }

    private void answer(HttpServerRequest request) {
        if (request.canUpgradeToWebSocket()) {
            return; // the WebSocket handler takes it
        }
        request.body().onSuccess(body -> {
            seen.add(new Seen(
                    request.method().name(),
                    request.uri(),
                    MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
                    body.toString()));
            if (silent || request.path().contains("/hang")) {
                return;
            }
            if (request.path().endsWith("/truncate")) { // promises 100 bytes, sends 10, hangs up
                request.response().putHeader("Content-Length", "100").write("0123456789");
                request.connection().close();
                return;
            }
            if (request.path().endsWith("/chunked")) { // a body of unknown length, in two writes
                request.response().setChunked(true).write("part one, ");
                request.response().end("part two");
                return;
            }
            if (request.path().endsWith("/truncate-chunked")) {
                request.response().setChunked(true).write("0123456789");
                request.connection().close();
                return;
            }
            if (request.path().endsWith("/hop")) {
                request.response()
                        .putHeader("X-Upstream-Secret", "1")
                        .putHeader("Connection", "X-Upstream-Secret, close");
            }
            request.response().setStatusCode(status.get()).end("upstream " + request.uri());
        });
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
