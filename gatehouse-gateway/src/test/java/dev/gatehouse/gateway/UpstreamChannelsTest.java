package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.http.CapturedLog;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The upstream connections' pool, below the proxy: here, its end with the event loops it serves. */
final class UpstreamChannelsTest {

    @Test
    void aConnectionClosingAfterAnotherLoopStoppedLogsNothing() throws Exception {
        EventLoopGroup first = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup second = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (CapturedLog log = CapturedLog.start();
                ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                UpstreamChannels channels = new UpstreamChannels(
                        "127.0.0.1",
                        upstream.getLocalPort(),
                        4,
                        5_000,
                        0,
                        DefaultAddressResolverGroup.INSTANCE,
                        new ConnectionWaits(dev.gatehouse.core.time.NanoClock.system()))) {
            Channel onFirst = registered(first);
            Channel onSecond = registered(second);
            CompletableFuture<UpstreamChannels.Connection> connected = new CompletableFuture<>();
            onFirst.eventLoop().execute(() -> channels.acquire(onFirst, new Caller(connected)));
            UpstreamChannels.Connection connection = connected.get(5, TimeUnit.SECONDS);
            // the second loop has its share of the pool, then stops (a gateway shutting down)
            CompletableFuture<UpstreamChannels.Connection> other = new CompletableFuture<>();
            onSecond.eventLoop().execute(() -> channels.acquire(onSecond, new Caller(other)));
            other.get(5, TimeUnit.SECONDS);
            second.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();

            connection.channel.close().sync(); // frees a place: the stopped loop is not asked to use it
            first.submit(() -> {}).sync(); // the close's listeners have run

            log.assertNoErrorOrStackTrace();
            assertThat(channels.open()).isZero();
        } finally {
            first.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            second.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    /** A channel of {@code group}'s loop, standing for a client's connection there. */
    private static Channel registered(EventLoopGroup group) throws InterruptedException {
        Channel channel = new NioSocketChannel();
        group.register(channel).sync();
        return channel;
    }

    /** Takes its connection and nothing else. */
    private record Caller(CompletableFuture<UpstreamChannels.Connection> connected) implements UpstreamChannels.Caller {

        @Override
        public void connected(UpstreamChannels.Connection connection, boolean reused) {
            connected.complete(connection);
        }

        @Override
        public void failed(Throwable cause, boolean shed) {
            connected.completeExceptionally(cause);
        }

        @Override
        public boolean head() {
            return false;
        }

        @Override
        public void read(HttpObject part) {}

        @Override
        public void readComplete() {}

        @Override
        public void closed() {}
    }
}
