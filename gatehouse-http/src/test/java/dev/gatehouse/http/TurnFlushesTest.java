package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * A connection's answers to its own read go out as the read completes, not at the end of the event
 * loop's turn. (That writes from outside its reads wait for the turn's end is Netty's
 * FlushConsolidationHandler; EmbeddedChannel runs pending tasks after every write, so it cannot show
 * that; ListenersTest checks the handler is in place and `run.sh ab` measures what it does.)
 */
class TurnFlushesTest {

    /** Counts the flushes that get past the handler under test, toward the socket. */
    private static final class Flushes extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            count++;
            ctx.flush();
        }
    }

    /** Answers what it reads and flushes the answers when the read completes, as Vert.x does. */
    private static final class Answers extends ChannelInboundHandlerAdapter {
        boolean outAtOnce;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object request) {
            ctx.write("answer to " + request);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            outAtOnce = !((EmbeddedChannel) ctx.channel()).outboundMessages().isEmpty();
        }
    }

    private final Flushes flushes = new Flushes();
    private final Answers answers = new Answers();
    private final EmbeddedChannel channel = new EmbeddedChannel(flushes, GuardedTransport.flushesPerTurn(), answers);

    @Test
    void answersToTheConnectionsOwnRead_goOutAsTheReadCompletes() {
        channel.writeInbound("one", "two"); // reads both, then completes the read

        assertThat(answers.outAtOnce).isTrue();
        assertThat(flushes.count).isOne();
        assertThat(channel.<String>readOutbound()).isEqualTo("answer to one");
        assertThat(channel.<String>readOutbound()).isEqualTo("answer to two");
    }
}
