package dev.gatehouse.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 upstream connection's reads, stopped for the answer coming on it while that answer's
 * client falls behind ({@link AnswerBody}), and let go at the answer's end as the codec decodes it:
 * Vert.x gives the connection back to its pool then, before the answer's last pieces reach a
 * reader that is paused, and the next request on it must find its reads going. A hold made after
 * that end is no hold. In the connection's pipeline just before Vert.x's handler; used on its event
 * loop.
 */
final class UpstreamReads extends ChannelInboundHandlerAdapter {

    /** The handler's name in an upstream connection's pipeline. */
    static final String NAME = "gatehouse-upstream-reads";

    private @Nullable Answer current;
    private @Nullable Channel channel;

    /** The answer whose head came last and whose end has not, or null between answers. */
    @Nullable
    Answer current() {
        return current;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse) {
            current = new Answer();
        }
        if (msg instanceof LastHttpContent) {
            Answer over = current;
            current = null;
            if (over != null) {
                over.hold(false);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** One answer on the connection: its hold on the connection's reads, while it lasts. */
    final class Answer {

        private boolean holding;

        private Answer() {}

        /** Stops the connection's reads, or lets them go on; nothing once this answer's end came. */
        void hold(boolean stop) {
            Channel connection = channel;
            if (connection == null || holding == stop || (stop && current != this)) {
                return;
            }
            holding = stop;
            connection.config().setAutoRead(!stop);
        }
    }
}
