import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The floor under the gateway's proxy on a machine: a Netty proxy on one epoll event loop that
 * gives each client connection a connection of its own to the upstream and passes what it reads
 * on, with the Netty the gateway ships. {@code bytes}: the bytes as they come, no HTTP at all;
 * {@code codec}: each side's HTTP/1.1 decoded and encoded again by Netty's codecs (what any Netty
 * proxy pays) and nothing else: no header rewritten, no pipeline, no pool. Measured beside nginx
 * {@code proxy_pass} and the gateway by {@code GATEWAY_FLOORS=1 gatehouse-bench/load/run.sh
 * gateway} (docs/benchmarks.md, "The floor of a proxy on Netty"). Run from the repository's root
 * with the gateway's jar:
 *
 * <pre>java --sun-misc-unsafe-memory-access=allow -Xmx512m -cp gatehouse-cli/target/gatehouse.jar gatehouse-bench/load/NettyProxyFloor.java PORT UPSTREAM_PORT bytes|codec</pre>
 */
public final class NettyProxyFloor {

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        int upstreamPort = Integer.parseInt(args[1]);
        boolean codec = switch (args[2]) {
            case "bytes" -> false;
            case "codec" -> true;
            default -> throw new IllegalArgumentException("mode is bytes or codec, not " + args[2]);
        };
        new ServerBootstrap()
                .group(new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()))
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false) // read once the upstream is connected
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel client) {
                        ChannelFuture upstream = new Bootstrap()
                                .group(client.eventLoop())
                                .channel(EpollSocketChannel.class)
                                .option(ChannelOption.TCP_NODELAY, true)
                                .handler(new ChannelInitializer<Channel>() {
                                    @Override
                                    protected void initChannel(Channel channel) {
                                        if (codec) {
                                            channel.pipeline().addLast(new HttpClientCodec());
                                        }
                                        channel.pipeline().addLast(new Pass(client));
                                    }
                                })
                                .connect("127.0.0.1", upstreamPort);
                        if (codec) {
                            client.pipeline().addLast(new HttpServerCodec());
                        }
                        client.pipeline().addLast(new Pass(upstream.channel()));
                        upstream.addListener(done -> {
                            if (done.isSuccess()) {
                                client.read();
                            } else {
                                client.close();
                            }
                        });
                    }
                })
                .bind("127.0.0.1", port)
                .sync();
        System.out.println("listening on 127.0.0.1:" + port);
    }

    /** Writes what one side reads to the other, flushed once per read as the gateway flushes. */
    private static final class Pass extends ChannelInboundHandlerAdapter {

        private final Channel other;

        Pass(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            other.write(message);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext context) {
            other.flush();
            if (!context.channel().config().isAutoRead()) {
                context.read();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            other.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            context.close();
        }
    }
}
