package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An answer's hold on its upstream connection's reads ends with the answer as it is decoded (a
 * reviewer's find: Vert.x pools the connection then, while the answer's reader may still be paused).
 */
final class UpstreamReadsTest {

    private final UpstreamReads reads = new UpstreamReads();
    private final EmbeddedChannel connection = new EmbeddedChannel(reads);

    @AfterEach
    void close() {
        connection.finishAndReleaseAll();
    }

    @Test
    void anAnswersEndLetsTheReadsGoThoughItsReaderStillHolds() {
        connection.writeInbound(head());
        UpstreamReads.Answer answer = reads.current();
        assertThat(answer).isNotNull();
        answer.hold(true);
        assertThat(connection.config().isAutoRead()).isFalse();

        connection.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(connection.config().isAutoRead())
                .as("the connection goes back to the pool reading")
                .isTrue();
        assertThat(reads.current()).isNull();
    }

    @Test
    void aHoldAfterItsAnswersEndHoldsNothingOfTheNextAnswer() {
        connection.writeInbound(head());
        UpstreamReads.Answer first = reads.current();
        assertThat(first).isNotNull();
        connection.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
        connection.writeInbound(head()); // the next request's answer on the pooled connection

        first.hold(true); // the first answer's reader, paused again as its client falls behind

        assertThat(connection.config().isAutoRead()).isTrue();
        assertThat(reads.current()).isNotSameAs(first);
    }

    private static DefaultHttpResponse head() {
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    }
}
