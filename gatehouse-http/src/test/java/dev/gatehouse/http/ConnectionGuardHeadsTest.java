package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Budget;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConnectionGuardHeadsTest {

    private static final HttpLimits LIMITS =
            new HttpLimits(16_384, 100, 8_192, 1 << 20, 100, 1_000, 5_000, 30_000, 30_000, 60_000, 1_000, 0, 1, false);

    /** A connection as a listener sets one up: the guard's raw side, Netty's HTTP codec, its message side. */
    private static EmbeddedChannel connection(Budget heads) {
        ConnectionGuard guard = new ConnectionGuard(LIMITS, heads);
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("guard", guard.rawSide());
        channel.pipeline().addLast(new HttpServerCodec());
        channel.pipeline().addLast(ConnectionGuard.MESSAGE_SIDE_NAME, guard.messageSide());
        return channel;
    }

    private static void send(EmbeddedChannel channel, String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    @Test
    void aHeadThatWouldPassTheBoundOfAllHeadsComingInClosesItsConnection() {
        Budget heads = new Budget(1_000);
        String started = "GET /a HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(550);
        EmbeddedChannel first = connection(heads);
        send(first, started);
        assertThat(first.isOpen()).isTrue();
        assertThat(heads.held()).isEqualTo(started.length());

        EmbeddedChannel second = connection(heads);
        send(second, "GET /b HTTP/1.1\r\nX-Pad: " + "p".repeat(500));
        assertThat(second.isOpen()).as("past the bound of every head coming in").isFalse();
        assertThat(heads.held()).isEqualTo(started.length());

        send(first, "\r\n\r\n"); // its head is whole: its bytes no longer count
        Object request = first.readInbound();
        assertThat(request).isInstanceOf(HttpRequest.class);
        assertThat(heads.held()).isZero();

        EmbeddedChannel third = connection(heads);
        send(third, "GET /b HTTP/1.1\r\nX-Pad: " + "p".repeat(500));
        assertThat(third.isOpen()).isTrue();
        third.close(); // a head that never ends counts until its connection goes
        assertThat(heads.held()).isZero();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }

    /** The budget is for heads held while they come: one whole in its read never touches it. */
    @Test
    void aHeadWholeInTheReadItCameInIsNotCounted() {
        Budget heads = new Budget(1);
        EmbeddedChannel connection = connection(heads);
        send(connection, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(connection.isOpen()).isTrue();
        Object first = connection.readInbound();
        assertThat(first).isInstanceOf(HttpRequest.class);
        assertThat(heads.held()).isZero();
        connection.finishAndReleaseAll();
    }
}
