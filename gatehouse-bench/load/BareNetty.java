import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The floor under the gateway's latency on a machine: a bare Netty HTTP/1.1 server on one epoll
 * event loop that answers every request 200 "1" and does nothing else, with the Netty the gateway
 * ships. Measured beside nginx's {@code return 200} with the same load (docs/benchmarks.md, "The
 * paced tail is the runtime's"). Run from the repository's root with the gateway's jar:
 *
 * <pre>java --sun-misc-unsafe-memory-access=allow -Xmx512m -cp gatehouse-cli/target/gatehouse.jar gatehouse-bench/load/BareNetty.java PORT</pre>
 */
public final class BareNetty {

    public static void main(String[] args) throws InterruptedException {
        byte[] body = {'1'};
        new ServerBootstrap()
                .group(new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()))
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext context, HttpObject part) {
                                if (part instanceof LastHttpContent) { // the request's end: its answer
                                    FullHttpResponse answer = new DefaultFullHttpResponse(
                                            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                                    answer.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                                    context.write(answer);
                                }
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext context) {
                                context.flush(); // once per read, as the gateway flushes
                            }
                        });
                    }
                })
                .bind("127.0.0.1", Integer.parseInt(args[0]))
                .sync();
        System.out.println("listening on 127.0.0.1:" + args[0]);
    }
}
