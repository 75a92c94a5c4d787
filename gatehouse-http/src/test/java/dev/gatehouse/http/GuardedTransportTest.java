package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Await;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the kernel says of a connection, read from its TCP_INFO. */
class GuardedTransportTest {

    private static final Duration LIVENESS = Duration.ofSeconds(20);

    /**
     * What a peer that reads nothing has not acknowledged stays with the kernel and is counted; once
     * it has read everything, nothing is. Netty's own struct leaves these fields out; the offsets are
     * Linux's.
     */
    @Test
    void whatThePeerHasNotAcknowledgedIsCountedUntilItReadsIt() throws Exception {
        assertThat(Epoll.isAvailable())
                .as("Linux's epoll, the transport served on")
                .isTrue();
        int bytes = 8 * 1024 * 1024;
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(4096);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Channel channel = connected(loop, EpollSocketChannel.class, server);
            try (Socket peer = server.accept()) {
                channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[bytes]));

                // the kernel takes what it can and holds it: the peer's small buffer is full
                Await.until(LIVENESS, () -> GuardedTransport.unacknowledgedBytes(channel) > 0);
                assertThat(GuardedTransport.unacknowledgedBytes(channel)).isLessThanOrEqualTo(bytes);

                InputStream in = peer.getInputStream();
                byte[] piece = new byte[64 * 1024];
                long read = 0;
                while (read < bytes) {
                    int n = in.read(piece);
                    assertThat(n).as("the whole write arrives").isPositive();
                    read += n;
                }
                Await.until(LIVENESS, () -> GuardedTransport.unacknowledgedBytes(channel) == 0);
            } finally {
                channel.close().sync();
            }
            assertThat(GuardedTransport.unacknowledgedBytes(channel))
                    .as("closed")
                    .isEqualTo(-1);
        } finally {
            loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    /** Java's NIO cannot ask the kernel: it says so, rather than a count that would be a guess. */
    @Test
    void aTransportThatCannotAskSaysSo() throws Exception {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Channel channel = connected(loop, NioSocketChannel.class, server);
            try (Socket peer = server.accept()) {
                assertThat(peer.isConnected()).isTrue();
                assertThat(GuardedTransport.unacknowledgedBytes(channel)).isEqualTo(-1);
            } finally {
                channel.close().sync();
            }
        } finally {
            loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    /** A channel of {@code type} on {@code loop}, connected to {@code server}. */
    private static Channel connected(EventLoopGroup loop, Class<? extends Channel> type, ServerSocket server)
            throws InterruptedException {
        return new Bootstrap()
                .group(loop)
                .channel(type)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.getLocalSocketAddress())
                .sync()
                .channel();
    }
}
