package dev.gatehouse.http;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.gatehouse.core.limit.Budget;
import dev.gatehouse.core.time.BatchClock;
import dev.gatehouse.core.time.NanoClock;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.http.impl.HttpClientConnectionInternal;
import io.vertx.core.impl.transports.TransportInternal;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.spi.transport.Transport;
import java.lang.management.ManagementFactory;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x's epoll (or NIO) transport, plus a {@link ConnectionGuard} on every connection an HTTP
 * listener accepts and a cap on how many connections each listener holds. The event loops that
 * serve HTTP join the process's clock when it is a {@link BatchClock}. An HTTP connection given to
 * {@link #flushOncePerTurn} flushes what is written to it once per turn of its event loop.
 */
public final class GuardedTransport implements Transport {

    /*
     * Why a transport: Vert.x gives an HTTP server's connection to the application only once it
     * knows the protocol, that is after the client's first request head (HTTP/1.1 behind h2c
     * detection) or its HTTP/2 preface. A silent client or a slowloris never gets that far, so the
     * guard must be on the channel from accept. configure() is the one place Vert.x hands over the
     * listener's bootstrap, after it set the child handler and before it binds: the handler is
     * wrapped there. This leans on Vert.x internals (TransportInternal, the "handler" and "idle"
     * names of its pipeline, HttpClientConnectionInternal's channel); HostileClientTest and
     * ListenersTest fail if an upgrade breaks them.
     *
     * Why flushes wait for the end of the turn: the gateway writes a request to its upstream while
     * it reads the client's connection, and the answer to the client while it reads the upstream's,
     * and Vert.x flushes such a write at once: a send that wakes the reader, with 64 clients once per
     * request. Held until the turn's reads are done, the sends go out together and the other side
     * wakes once for many (upstream: 0.70 wakes per request before, 0.075 after; docs/benchmarks.md).
     * An accepted connection gets it only as HTTP/1.x, once Vert.x has settled that (its first request
     * asked for no h2c upgrade, and none can come after): given at accept, Java's HTTP client read
     * part of an answer after an h2c upgrade as HTTP/1.1 bytes where HTTP/2 frames belonged
     * (DeployFilesTest, about one run in six).
     */

    private static final Logger LOG = LoggerFactory.getLogger(GuardedTransport.class);

    /** Linux's {@code struct tcp_info} (IPPROTO_TCP 6, TCP_INFO 11) as far as its acknowledged bytes, read raw. */
    private static final RawUnixChannelOption TCP_INFO = new RawUnixChannelOption("TCP_INFO", 6, 11, 128);

    /** Where {@code tcpi_bytes_acked} (a u64, since Linux 4.1) lies in the struct. */
    private static final int TCPI_BYTES_ACKED = 120;

    private final Transport delegate;
    private final HttpLimits limits;
    private final NanoClock clock;

    private GuardedTransport(Transport delegate, HttpLimits limits, NanoClock clock) {
        this.delegate = delegate;
        this.limits = limits;
        this.clock = clock;
    }

    /**
     * Linux's epoll where its native library loads, else NIO, guarding HTTP listeners with {@code
     * limits}, for {@code Vertx.builder().withTransport}; an event loop joins {@code clock} with its
     * first HTTP connection when that is a {@link BatchClock}.
     */
    public static io.vertx.core.transport.Transport guarded(HttpLimits limits, NanoClock clock) {
        io.vertx.core.transport.Transport epoll = io.vertx.core.transport.Transport.EPOLL;
        if (epoll != null && epoll.available()) {
            Transport linux = ((TransportInternal) epoll).implementation();
            LOG.debug("event loops on epoll");
            return new TransportInternal("epoll", true, null, new GuardedTransport(linux, limits, clock));
        }
        LOG.info(
                "event loops on Java NIO: epoll is not available here ({})",
                epoll == null ? "no native transport" : String.valueOf(epoll.unavailabilityCause()));
        Transport nio = ((TransportInternal) io.vertx.core.transport.Transport.NIO).implementation();
        return new TransportInternal("nio", true, null, new GuardedTransport(nio, limits, clock));
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
        delegate.configure(options, domainSocket, bootstrap);
        ChannelHandler accepted = bootstrap.config().childHandler();
        if (options instanceof HttpServerOptions && accepted != null) {
            bootstrap.childHandler(new Listener(accepted, limits, clock));
        }
    }

    /**
     * The connections a listener holds at most: {@code configured}, and three quarters of the
     * process's {@code openFileLimit} (none known: negative), so that the upstream, the stores and the
     * next accept keep descriptors of their own; at the limit itself the process accepts nothing.
     */
    static int connectionCap(int configured, long openFileLimit) {
        return openFileLimit <= 0 ? configured : (int) Math.max(1, Math.min(configured, openFileLimit * 3 / 4));
    }

    /** This process's open-file limit, or -1 where the platform cannot say. */
    private static long openFileLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount()
                : -1;
    }

    /**
     * The bytes of the request heads coming in, on every listener of the process: an eighth of the
     * heap (in the decoder's objects, about a fifth of it).
     */
    private static final Budget HEADS = Budget.ofHeap(1.0 / 8);

    /** One listener's connections: each gets a guard; past the cap a new one is closed at once. */
    @ChannelHandler.Sharable
    private static final class Listener extends ChannelInitializer<Channel> {

        private final ChannelHandler vertxInitializer;
        private final HttpLimits limits;
        private final NanoClock clock;
        private final AtomicInteger open = new AtomicInteger();
        private final int maxConnections;

        Listener(ChannelHandler vertxInitializer, HttpLimits limits, NanoClock clock) {
            this.vertxInitializer = vertxInitializer;
            this.limits = limits;
            this.clock = clock;
            long openFiles = openFileLimit();
            this.maxConnections = connectionCap(limits.maxConnections(), openFiles);
            if (maxConnections < limits.maxConnections()) {
                LOG.info(
                        "at most {} connections a listener, three quarters of this process's open-file limit ({}),"
                                + " below the {} asked: past the limit the process could accept nothing at all",
                        maxConnections,
                        openFiles,
                        limits.maxConnections());
            }
        }

        @Override
        protected void initChannel(Channel channel) {
            if (open.incrementAndGet() > maxConnections) {
                open.decrementAndGet();
                LOG.debug("{}: over http.max-connections ({}), closing", channel, maxConnections);
                channel.close();
                return;
            }
            channel.closeFuture().addListener(closed -> open.decrementAndGet());
            if (clock instanceof BatchClock batches) { // on the channel's event loop, as Netty initializes
                batches.join(channel.eventLoop()); // a task it is given while working runs after that work
            }
            ConnectionGuard guard = new ConnectionGuard(limits, HEADS);
            channel.pipeline().addLast("guard", guard.rawSide());
            channel.pipeline().addLast(vertxInitializer); // Vert.x sets the connection up here, at once
            if (channel.pipeline().get("handler") != null) {
                channel.pipeline().addBefore("handler", ConnectionGuard.MESSAGE_SIDE_NAME, guard.messageSide());
            }
        }
    }

    @Override
    public boolean supportsDomainSockets() {
        return delegate.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
        return delegate.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
        return delegate.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
        return delegate.unavailabilityCause();
    }

    @Override
    public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
        return delegate.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
        return delegate.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return delegate.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
        return delegate.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
        return delegate.datagramChannel();
    }

    @Override
    @SuppressWarnings("deprecation") // the SPI still names InternetProtocolFamily
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
        return delegate.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
        return delegate.channelFactory(domainSocket);
    }

    /**
     * Makes an HTTP connection hold a flush made outside its own reads until the end of its event
     * loop's turn (Netty's {@link FlushConsolidationHandler}, first in its pipeline): a connection this
     * process opened (an {@link io.vertx.core.http.HttpClient}'s, in its connect handler), or an
     * accepted HTTP/1.x one (in its server's connection handler). Vert.x builds a client connection's
     * pipeline anew once it is connected, and gives an accepted connection to the application once its
     * protocol is settled, so this is done then, not when the channel is made. Returns false, and
     * changes nothing, for another kind (an HTTP/2 connection, an h2c upgrade's included).
     */
    public static boolean flushOncePerTurn(HttpConnection connection) {
        Channel channel = channel(connection);
        if (channel == null) {
            return false;
        }
        channel.pipeline()
                .addFirst(new FlushConsolidationHandler(
                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        return true;
    }

    /**
     * How many milliseconds ago the kernel last sent new data on {@code channel}'s TCP connection
     * (TCP_INFO's {@code last_data_sent}): a peer that reads nothing opens no window, and nothing new
     * is sent to it; -1 where the transport cannot tell (Java NIO, a closed channel).
     */
    public static long millisSinceDataSent(Channel channel) {
        if (channel instanceof EpollSocketChannel socket && socket.isActive()) {
            return socket.tcpInfo().lastDataSent();
        }
        return -1;
    }

    /**
     * How many bytes written to {@code channel} its peer's TCP has acknowledged so far (TCP_INFO's
     * {@code bytes_acked}, which Netty's reading of the struct leaves out): what the peer took, a
     * count that only grows; -1 where the transport cannot tell (Java NIO, a kernel before 4.1, a
     * closed channel). Asked from any thread.
     */
    public static long acknowledgedBytes(Channel channel) {
        if (!(channel instanceof EpollSocketChannel socket) || !socket.isActive()) {
            return -1;
        }
        try {
            ByteBuffer info = socket.config().getOption(TCP_INFO);
            if (info == null || info.remaining() < TCPI_BYTES_ACKED + Long.BYTES) {
                return -1;
            }
            return info.slice().order(ByteOrder.nativeOrder()).getLong(TCPI_BYTES_ACKED);
        } catch (ChannelException closing) {
            return -1;
        }
    }

    /**
     * How many bytes the kernel may hold of what was written to {@code channel} and not yet taken by
     * its peer (its send buffer, which it grows to megabytes even for a peer that reads nothing); 0
     * when it cannot be asked (a channel closing). Asked from any thread.
     */
    public static long sendBufferBytes(Channel channel) {
        try {
            Integer bytes = channel.config().getOption(ChannelOption.SO_SNDBUF);
            return bytes == null ? 0 : bytes;
        } catch (ChannelException closing) {
            return 0;
        }
    }

    /**
     * Has the next close of {@code channel} reset it: what it still had to send is dropped, in Netty's
     * buffer and the kernel's, where a close would have the kernel send it first (for minutes to a
     * peer taking a few bytes a second, its memory held all the while).
     */
    public static void resetOnClose(Channel channel) {
        try {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (ChannelException closed) { // closing already: its close is all there is to do
            LOG.debug("no reset for {}: {}", channel, closed.toString());
        }
    }

    /**
     * Resets {@code channel} now ({@link #resetOnClose}), closed below every handler of its pipeline:
     * Vert.x's own close of an HTTP/1.x connection waits for the answer in progress to end, which
     * for a client taking a few bytes at a time is the listener's write bound.
     */
    public static void reset(Channel channel) {
        resetOnClose(channel);
        ChannelHandlerContext first = channel.pipeline().firstContext();
        if (first != null) {
            first.close(); // toward the head alone
        } else {
            channel.close();
        }
    }

    /**
     * The socket under an accepted HTTP connection of any version (an HTTP/2 connection's streams share
     * it); null for another kind.
     */
    public static @Nullable Channel socket(HttpConnection connection) {
        return connection instanceof ConnectionBase base ? base.channel() : null;
    }

    /**
     * The channel under an HTTP connection this process opened (an {@link
     * io.vertx.core.http.HttpClient}'s) or an accepted HTTP/1.x one; null for another kind.
     */
    public static @Nullable Channel channel(HttpConnection connection) {
        if (connection instanceof HttpClientConnectionInternal opened) {
            return opened.channelHandlerContext().channel();
        }
        if (connection instanceof Http1xServerConnection accepted) {
            return accepted.channelHandlerContext().channel();
        }
        return null;
    }

    /**
     * The pipeline of an accepted HTTP/1.x connection, given to its server's connection handler once
     * Vert.x has settled the protocol and before the connection's first request is read; null for
     * another kind (an HTTP/2 connection, a client's).
     */
    public static @Nullable ChannelPipeline acceptedHttp1(HttpConnection connection) {
        return connection instanceof Http1xServerConnection accepted
                ? accepted.channelHandlerContext().pipeline()
                : null;
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
        return delegate.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
        delegate.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
        delegate.configure(options, connectTimeout, domainSocket, bootstrap);
    }
}
