package dev.gatehouse.gateway;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An upstream answer's body as Vert.x's path pipes it to the client. Held to {@code upstream_read}
 * when that is on: when the upstream sends nothing for that long while the body is read (not while
 * the pipe waits for the client to catch up, nor while the request's body is still being sent: that
 * is the client's time, which the write and read bounds judge), {@code silent} runs. One timer a
 * body, looked at again when it fires rather than made anew for each chunk. It knows whether its own
 * stream failed, so that the pipe's end can tell the upstream breaking off from the client going
 * away. Paused, it stops its upstream connection's reads at once: Vert.x's own pause stops them only
 * once the answer has queued sixteen pieces and its connection eight more, reads later (29 to 41
 * MiB of direct memory for 128 answers so: docs/benchmarks.md), so an answer holds about one read of the
 * upstream's past what {@link AnswerBudget} lets it hand its client. Used on the answer's event loop.
 */
final class AnswerBody implements ReadStream<Buffer> {

    private final Vertx vertx;
    private final ReadStream<Buffer> body;
    private final long boundNanos;
    private final Runnable silent;
    private final UpstreamReads.@Nullable Answer upstream;
    private long lastHeardNanos;
    private long timer = -1;
    private boolean reading;
    private boolean requestSent;
    private boolean over;
    private boolean broke;
    private boolean clientBroke;

    /**
     * {@code body}, coming on a connection whose reads {@code upstream} holds for it (null: one
     * whose reads only Vert.x's pause stops), {@code silent} run when it sends nothing for {@code boundMillis} (0 or less: no
     * bound) while read, once the request is all sent ({@code requestSent}, or when {@link
     * #requestSent} says so).
     */
    AnswerBody(
            Vertx vertx,
            ReadStream<Buffer> body,
            UpstreamReads.@Nullable Answer upstream,
            long boundMillis,
            boolean requestSent,
            Runnable silent) {
        this.vertx = vertx;
        this.body = body;
        this.upstream = upstream;
        this.boundNanos = TimeUnit.MILLISECONDS.toNanos(boundMillis);
        this.requestSent = requestSent;
        this.silent = silent;
    }

    /**
     * Whether the body's own stream failed of the upstream's doing: it closed or reset it, or was
     * cut off for its silence; not after {@link #clientBroke}.
     */
    boolean broke() {
        return broke;
    }

    /** The client's request broke off: the call is reset for it, so the body's failure is the client's doing. */
    void clientBroke() {
        clientBroke = true;
    }

    /** The request is all sent: the upstream's silence counts from now. */
    void requestSent() {
        requestSent = true;
        if (reading) {
            listen();
        }
    }

    @Override
    public ReadStream<Buffer> handler(@Nullable Handler<Buffer> handler) {
        body.handler(
                handler == null || boundNanos <= 0 // unbounded: nothing to note of a piece
                        ? handler
                        : data -> {
                            lastHeardNanos = System.nanoTime();
                            handler.handle(data);
                        });
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        reading = false;
        body.pause();
        hold(true);
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        read();
        hold(false); // first: the pieces Vert.x queued may pause it again as they come
        body.resume();
        return this;
    }

    /** Taken as a resume: Vert.x's pipe, this stream's one reader, never asks by amounts. */
    @Override
    public ReadStream<Buffer> fetch(long amount) {
        read();
        hold(false);
        body.fetch(amount);
        return this;
    }

    /**
     * Stops the upstream connection's reads, or lets them go on again. Its end lets them go by itself
     * ({@link UpstreamReads}, as the end is decoded); a body that fails has its connection closed.
     */
    private void hold(boolean stop) {
        if (upstream != null) {
            upstream.hold(stop);
        }
    }

    @Override
    public ReadStream<Buffer> endHandler(@Nullable Handler<Void> handler) {
        body.endHandler(stopping(handler));
        return this;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(@Nullable Handler<Throwable> handler) {
        Handler<Throwable> passing = stopping(handler);
        body.exceptionHandler(failed -> {
            broke |= !clientBroke;
            passing.handle(failed);
        });
        return this;
    }

    /** {@code handler}, after the bound is stopped: the body is over, one way or the other. */
    private <T> Handler<T> stopping(@Nullable Handler<T> handler) {
        return event -> {
            stop();
            if (handler != null) {
                handler.handle(event);
            }
        };
    }

    /** Reads (again): the upstream's silence counts from now, once the request is all sent. */
    private void read() {
        reading = true;
        if (requestSent) {
            listen();
        }
    }

    private void listen() {
        if (over || boundNanos <= 0) {
            return;
        }
        lastHeardNanos = System.nanoTime();
        if (timer < 0) {
            timer = vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(boundNanos) + 1, id -> check());
        }
    }

    private void check() {
        timer = -1;
        if (over || !reading) { // ended, or waiting for the client: armed again when it reads
            return;
        }
        long silentNanos = System.nanoTime() - lastHeardNanos;
        if (silentNanos >= boundNanos) {
            stop();
            silent.run();
            return;
        }
        timer = vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(boundNanos - silentNanos) + 1, id -> check());
    }

    private void stop() {
        over = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
