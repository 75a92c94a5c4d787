package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whose doing the failure of an upstream answer's body is, as Vert.x's path judges it; and a paused
 * body stopping its upstream connection's reads.
 */
final class AnswerBodyTest {

    private final Vertx vertx = Vertx.vertx();
    private final FailingStream upstream = new FailingStream();
    private final AnswerBody body = new AnswerBody(vertx, upstream, null, 0, true, () -> {});
    private final List<Throwable> passedOn = new ArrayList<>();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void aBodyThatFailsOnItsOwnBrokeOff() {
        body.exceptionHandler(passedOn::add);

        upstream.fail(new IllegalStateException("the upstream closed"));

        assertThat(body.broke()).isTrue();
        assertThat(passedOn).hasSize(1);
    }

    @Test
    void aBodyFailingAfterTheClientBrokeOffIsTheClientsDoing() {
        body.exceptionHandler(passedOn::add);

        body.clientBroke(); // the call is then reset for the client's sake, which fails the body
        upstream.fail(new IllegalStateException("reset"));

        assertThat(body.broke()).isFalse();
        assertThat(passedOn).hasSize(1); // the pipe still learns the body is over
    }

    @Test
    void aPausedBodyStopsItsConnectionsReadsUntilResumedOrItsEndIsDecoded() {
        UpstreamReads reads = new UpstreamReads();
        io.netty.channel.embedded.EmbeddedChannel connection = new io.netty.channel.embedded.EmbeddedChannel(reads);
        connection.writeInbound(new io.netty.handler.codec.http.DefaultHttpResponse(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpResponseStatus.OK));
        AnswerBody held = new AnswerBody(vertx, upstream, reads.current(), 0, true, () -> {});
        held.exceptionHandler(passedOn::add);

        held.pause();
        assertThat(connection.config().isAutoRead()).isFalse();
        held.resume();
        assertThat(connection.config().isAutoRead()).isTrue();
        held.pause();
        connection.writeInbound(io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT); // its end decoded

        assertThat(connection.config().isAutoRead())
                .as("the connection goes back to the pool reading")
                .isTrue();
        connection.finishAndReleaseAll();
    }

    /** A body stream whose failure the test sets off. */
    private static final class FailingStream implements ReadStream<Buffer> {

        private @Nullable Handler<Throwable> failed;

        void fail(Throwable failure) {
            if (failed != null) {
                failed.handle(failure);
            }
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(@Nullable Handler<Throwable> handler) {
            failed = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(@Nullable Handler<Buffer> handler) {
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(@Nullable Handler<Void> handler) {
            return this;
        }
    }
}
