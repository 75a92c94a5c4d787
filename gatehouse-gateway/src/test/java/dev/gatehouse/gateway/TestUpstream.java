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
 * upgrades are echoed. Paths ending in {@code /held} are answered when the test lets them go, those
 * ending in {@code /delay} after a few milliseconds (closing the connection under {@code
 * /closing/}), {@code /wide} with {@link #WIDE_BYTES}
 * bytes, {@code /drip} sends {@link #DRIP_PIECES} pieces of its body {@link #DRIP_MILLIS} apart, and {@code /big} streams {@link #BIG_BYTES}
 * bytes (or {@code ?bytes=}) as fast as the gateway takes them. It counts the connections it has open and the requests
 * it answers at once.
 */
final class TestUpstream implements AutoCloseable {

    /** What the upstream saw of one request. */
    record Seen(String method, String uri, MultiMap headers, String body) {}

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private volatile boolean silent;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();
    private final ConcurrentLinkedQueue<HttpServerRequest> held = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.LinkedBlockingQueue<HttpServerRequest> early =
            new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.LinkedBlockingQueue<String> heads =
            new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicLong bigSent = new java.util.concurrent.atomic.AtomicLong();

    /** The length of each {@code /wide} answer. */
    static final int WIDE_BYTES = 8 * 1024;

    /** How many pieces {@code /drip}'s body comes in, and how far apart. */
    static final int DRIP_PIECES = 15;

    static final long DRIP_MILLIS = 50;

    /** The length of {@code /big}'s answer. */
    static final int BIG_BYTES = 64 * 1024 * 1024;

    private TestUpstream() {
        server = vertx.createHttpServer()
                .webSocketHandler(socket -> socket.textMessageHandler(socket::writeTextMessage))
                .requestHandler(this::answer)
                .connectionHandler(connection -> {
                    mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                    connection.closeHandler(closed -> open.decrementAndGet());
                });
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

    /** The most connections it had open at once. */
    int mostConnections() {
        return mostOpen.get();
    }

    /** The most requests it was answering at once. */
    int mostInFlight() {
        return mostInFlight.get();
    }

    /** Answers the requests waiting under {@code /held}. */
    void letGo() {
        HttpServerRequest request;
        while ((request = held.poll()) != null) {
            request.response().end("upstream " + request.uri());
        }
    }

    /**
     * Ends the answer of an {@code /early} request once its body has come to its end (waiting for
     * that up to {@code patience}); whether there was one.
     */
    boolean endEarly(java.time.Duration patience) throws InterruptedException {
        HttpServerRequest request = early.poll(patience.toMillis(), TimeUnit.MILLISECONDS);
        if (request == null) {
            return false;
        }
        request.response().end("late");
        return true;
    }

    /**
     * The path of the next request whose head has come (its body may not have yet), waiting for one
     * up to {@code patience}; null when none came.
     */
    @Nullable
    String awaitHead(java.time.Duration patience) throws InterruptedException {
        return heads.poll(patience.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many bytes of {@code /big}'s answers it has written so far. */
    long bigSent() {
        return bigSent.get();
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
        heads.add(request.path());
        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        boolean[] counted = {true};
        Runnable done = () -> {
            if (counted[0]) {
                counted[0] = false;
                inFlight.decrementAndGet();
            }
        };
        request.response().endHandler(v -> done.run());
        request.response().closeHandler(v -> done.run());
        if (request.path().endsWith("/early")) { // answers at once, before the body; ends when told (endEarly)
            request.response().setChunked(true).write("early, ");
            request.body().onSuccess(body -> early.add(request));
            return;
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
            if (request.path().endsWith("/held")) {
                held.add(request);
                return;
            }
            if (request.path().endsWith("/delay")) {
                if (request.path().contains("/closing/")) {
                    request.response().putHeader("Connection", "close");
                }
                vertx.setTimer(20, t -> request.response().end("upstream " + request.uri()));
                return;
            }
            if (request.path().endsWith("/wide")) {
                request.response().end(io.vertx.core.buffer.Buffer.buffer(new byte[WIDE_BYTES]));
                return;
            }
            if (request.path().endsWith("/drip")) {
                drip(request.response().setChunked(true), DRIP_PIECES);
                return;
            }
            if (request.path().endsWith("/big")) { // ?bytes=n: n bytes in place of BIG_BYTES
                String asked = request.getParam("bytes");
                int bytes = asked == null ? BIG_BYTES : Integer.parseInt(asked);
                request.response().putHeader("Content-Length", Integer.toString(bytes));
                stream(request.response(), bytes);
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

    /** Writes {@code left} pieces of "drop ", {@link #DRIP_MILLIS} apart, then ends. */
    private void drip(io.vertx.core.http.HttpServerResponse response, int left) {
        if (response.closed()) {
            return;
        }
        if (left == 0) {
            response.end();
            return;
        }
        response.write("drop ");
        vertx.setTimer(DRIP_MILLIS, t -> drip(response, left - 1));
    }

    /** Writes {@code left} bytes of zeros, pausing whenever the peer does not keep up. */
    private void stream(io.vertx.core.http.HttpServerResponse response, int left) {
        if (response.ended() || response.closed()) {
            return;
        }
        io.vertx.core.buffer.Buffer chunk = io.vertx.core.buffer.Buffer.buffer(new byte[64 * 1024]);
        int sent = 0;
        while (sent < left && !response.writeQueueFull()) {
            int size = Math.min(chunk.length(), left - sent);
            response.write(size == chunk.length() ? chunk : chunk.slice(0, size));
            sent += size;
            bigSent.addAndGet(size);
        }
        if (sent == left) {
            response.end();
            return;
        }
        int rest = left - sent;
        response.drainHandler(v -> {
            response.drainHandler(null);
            stream(response, rest);
        });
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
