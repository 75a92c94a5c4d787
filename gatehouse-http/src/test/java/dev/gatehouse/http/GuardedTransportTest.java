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
     * What a peer's TCP acknowledged: no more than its small receive buffer while it reads nothing
     * (the rest stays with the sender's kernel and Netty), every byte once it has read them all
     * (the handshake's SYN may count as one). Netty's own reading of the struct leaves this field
     * out; its offset is Linux's.
     */
    @Test
    void whatThePeerAcknowledgedIsCountedAsItReads() throws Exception {
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
                long before = GuardedTransport.acknowledgedBytes(channel);
                assertThat(before).as("nothing sent yet").isBetween(0L, 1L);
                channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[bytes]));

                Await.until(LIVENESS, () -> GuardedTransport.acknowledgedBytes(channel) > before);
                assertThat(GuardedTransport.acknowledgedBytes(channel))
                        .as("what its receive buffer took")
                        .isLessThan(bytes / 4);

                InputStream in = peer.getInputStream();
                byte[] piece = new byte[64 * 1024];
                long read = 0;
                while (read < bytes) {
                    int n = in.read(piece);
                    assertThat(n).as("the whole write arrives").isPositive();
                    read += n;
                }
                Await.until(LIVENESS, () -> GuardedTransport.acknowledgedBytes(channel) - before == bytes);
            } finally {
                channel.close().sync();
            }
            assertThat(GuardedTransport.acknowledgedBytes(channel)).as("closed").isEqualTo(-1);
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
                assertThat(GuardedTransport.acknowledgedBytes(channel)).isEqualTo(-1);
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

    @Test
    void aListenerHoldsThreeQuartersOfTheOpenFileLimitAtMost() {
        assertThat(GuardedTransport.connectionCap(50_000, 20_000)).isEqualTo(15_000);
        assertThat(GuardedTransport.connectionCap(10_000, 1_048_576)).isEqualTo(10_000);
        assertThat(GuardedTransport.connectionCap(50_000, -1))
                .as("no limit known")
                .isEqualTo(50_000);
        assertThat(GuardedTransport.connectionCap(50_000, 1)).isEqualTo(1);
    }
}
