package dev.gatehouse.gateway;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keep-alive connections {@link ChannelProxy} calls the upstream on: each made on, and kept by,
 * the event loop of the client connection that asked for it, so a request and its upstream call
 * never change threads. At most {@code upstream_max_conns} are open at once over all event loops; a
 * call that finds none free and the bound reached waits, at most the dial bound, and is shed (503)
 * after it or when {@code 16 ×} the bound already wait on its loop. No loop's callers starve: a
 * connection that comes free on one loop while a caller of another has waited longer (by more than
 * a few milliseconds, or while nobody waits here) is closed, and that caller's loop makes a new one
 * in its place; a loop with callers waiting has the others close an idle connection. An idle
 * connection is closed after {@code upstream_keepalive}.
 */
final class UpstreamChannels implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamChannels.class);

    /** Callers waiting for a connection, per allowed connection, before new ones are shed. */
    private static final int WAITING_PER_CONNECTION = 16;

    /** When the longest waiter of a loop nobody waits on began to wait. */
    private static final long NOBODY = Long.MAX_VALUE;

    /**
     * How much longer a caller of another loop must have waited than this loop's callers to be served
     * first (by a connection closed here and made anew there): within it, a connection that comes
     * free serves its own loop, and callers stay on kept connections while the bound is reached.
     */
    private static final long PRIORITY_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** What asks for a connection: given one (or told why there is none), then passed its answer. */
    interface Caller {

        /** {@code connection} is this caller's until it gives it back ({@code reused}: it served before). */
        void connected(Connection connection, boolean reused);

        /**
         * No connection: the upstream could not be reached ({@code shed} false), or none came free in
         * time or too many wait ({@code shed} true).
         */
        void failed(Throwable cause, boolean shed);

        /** Whether the call is a HEAD: its answer has no body, whatever its head says. */
        boolean head();

        /** A part of the answer (the caller releases it). */
        void read(HttpObject part);

        /** The upstream's reads of this turn are done: a time to flush. */
        void readComplete();

        /** The connection closed under the call. */
        void closed();
    }

    private final String host;
    private final int port;
    private final int maxConnections;
    private final int maxWaiting;
    private final int dialMillis;
    private final long keepAliveNanos;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final ConnectionWaits waits;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<EventLoop, Loop> loops = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Connections to {@code host:port}, at most {@code maxConnections} open, each dialled within
     * {@code dialMillis} (the wait for a free one has the same bound), closed after {@code
     * keepAliveSeconds} idle (0: kept), names resolved by {@code resolver}; callers' waits for a
     * connection told to {@code waits}.
     */
    UpstreamChannels(
            String host,
            int port,
            int maxConnections,
            int dialMillis,
            long keepAliveSeconds,
            AddressResolverGroup<InetSocketAddress> resolver,
            ConnectionWaits waits) {
        this.host = host;
        this.port = port;
        this.maxConnections = maxConnections;
        this.maxWaiting = maxConnections * WAITING_PER_CONNECTION;
        this.dialMillis = dialMillis;
        this.keepAliveNanos = TimeUnit.SECONDS.toNanos(keepAliveSeconds);
        this.resolver = resolver;
        this.waits = waits;
    }

    /**
     * Gives {@code lease} a connection on {@code downstream}'s event loop (there, now or later): an
     * idle one, a new one, or the next that comes free. Called on that event loop.
     */
    void acquire(Channel downstream, Caller caller) {
        loop(downstream).acquire(caller, false);
    }

    /** As {@link #acquire}, but never a kept connection: for a call that one just failed. */
    void acquireNew(Channel downstream, Caller caller) {
        loop(downstream).acquire(caller, true);
    }

    private Loop loop(Channel downstream) {
        return loops.computeIfAbsent(downstream.eventLoop(), loop -> new Loop(loop, downstream.getClass()));
    }

    /** How many connections are open now, over all event loops. */
    int open() {
        return open.get();
    }

    @Override
    public void close() {
        closed = true;
        loops.values().forEach(loop -> loop.run(loop::closeIdle));
    }

    /** Counts a connection in under the bound; false when the bound is reached. */
    private boolean reserve() {
        while (true) {
            int now = open.get();
            if (now >= maxConnections || closed) {
                return false;
            }
            if (open.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** One event loop's connections: all their state is touched on that loop alone. */
    private final class Loop {

        private final EventLoop eventLoop;
        private final Bootstrap bootstrap;
        private final ArrayDeque<Connection> idle = new ArrayDeque<>();
        private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
        private boolean sweeping;
        private volatile long oldestSince = NOBODY;

        Loop(EventLoop eventLoop, Class<? extends Channel> channelType) {
            this.eventLoop = eventLoop;
            this.bootstrap = new Bootstrap()
                    .group(eventLoop)
                    .channel(channelType)
                    .resolver(resolver)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, dialMillis)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            // a request written while a client's connection is read goes out at the end
                            // of the turn, with the others of that turn: the upstream wakes once for them
                            channel.pipeline()
                                    .addLast(new FlushConsolidationHandler(
                                            FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                            Connection connection = new Connection(channel, Loop.this);
                            channel.pipeline().addLast(new HttpRequestEncoder(), connection.answers, connection);
                        }
                    });
        }

        /**
         * Runs {@code task} on this loop; not when the loop has stopped (the server closing): its
         * connections closed with it, and nobody waits there any more.
         */
        void run(Runnable task) {
            try {
                eventLoop.execute(task);
            } catch (RejectedExecutionException stopped) {
                oldestSince = NOBODY; // its waiters went with it: no other loop yields to them
                LOG.debug("event loop {} stopped", eventLoop);
            }
        }

        /**
         * A connection for {@code caller}: a kept one (unless {@code fresh}) or a new one when nobody
         * waits before it, here or (longer) on another loop; else it waits its turn.
         */
        void acquire(Caller caller, boolean fresh) {
            boolean theirs = anotherWaitsLonger();
            if (waiting.isEmpty() && !theirs) {
                Connection kept = fresh ? null : takeIdle();
                if (kept != null) {
                    caller.connected(kept, true);
                    return;
                }
                if (reserve()) {
                    dial(caller);
                    return;
                }
            } else if (theirs) {
                closeOneIdle(); // an idle connection here is the longer waiter's, made anew on its loop
            }
            if (waiting.size() >= maxWaiting) {
                caller.failed(new IllegalStateException("too many calls wait for an upstream connection"), true);
                return;
            }
            Waiter waiter = new Waiter(caller, System.nanoTime(), waits.begin());
            waiter.timer = eventLoop.schedule(
                    () -> {
                        if (waiting.remove(waiter)) {
                            waiter.over();
                            noteOldest();
                            caller.failed(
                                    new IllegalStateException("no upstream connection came free within the dial bound"),
                                    true);
                        }
                    },
                    dialMillis,
                    TimeUnit.MILLISECONDS);
            waiting.addLast(waiter);
            noteOldest();
            for (Loop other : loops.values()) { // connections idle elsewhere make room for this one
                if (other != this) {
                    other.run(other::closeOneIdle);
                }
            }
            kickLongestWaiting();
        }

        /** The idle connection used last (its buffers are warm) that is still open, or null. */
        private @Nullable Connection takeIdle() {
            Connection connection;
            while ((connection = idle.pollLast()) != null) {
                connection.idle = false;
                if (connection.isClean()) {
                    return connection;
                }
                connection.channel.close();
            }
            return null;
        }

        /** Publishes when the caller that has waited longest here began to wait. */
        private void noteOldest() {
            Waiter first = waiting.peekFirst();
            oldestSince = first == null ? NOBODY : first.sinceNanos;
        }

        /**
         * Whether a caller of another loop waits while none does here, or has waited {@link
         * #PRIORITY_NANOS} longer than every caller here.
         */
        private boolean anotherWaitsLonger() {
            long mine = oldestSince;
            for (Loop other : loops.values()) {
                long theirs = other.oldestSince;
                if (other != this && theirs != NOBODY && (mine == NOBODY || mine - theirs > PRIORITY_NANOS)) {
                    return true;
                }
            }
            return false;
        }

        /** Has the loop whose caller waited longest dial for it, if the bound allows. */
        private void kickLongestWaiting() {
            Loop longest = null;
            for (Loop any : loops.values()) {
                if (any.oldestSince != NOBODY && (longest == null || any.oldestSince < longest.oldestSince)) {
                    longest = any;
                }
            }
            if (longest != null) {
                longest.run(longest::serveWaiting);
            }
        }

        private void dial(Caller caller) {
            ChannelFuture connecting = bootstrap.connect(host, port);
            Connection connection = connecting.channel().pipeline().get(Connection.class);
            if (connection == null) { // no channel could be made or registered (no descriptors, say)
                open.decrementAndGet(); // it never counted itself out: it never came to be
                Throwable cause = connecting.cause();
                caller.failed(cause != null ? cause : new IllegalStateException("no upstream channel"), false);
                return;
            }
            connecting.addListener(connected -> {
                if (connected.isSuccess()) {
                    caller.connected(connection, false);
                } else {
                    caller.failed(connected.cause(), false);
                }
            });
        }

        /** {@code connection} finished an exchange and can take another. */
        void release(Connection connection) {
            connection.exchange = null;
            connection.channel.config().setAutoRead(true);
            if (anotherWaitsLonger()) { // closed, its place goes to the longest waiter, on its own loop
                connection.channel.close();
                return;
            }
            Waiter waiter = waiting.pollFirst();
            if (waiter != null) {
                noteOldest();
                waiter.over();
                waiter.caller.connected(connection, true);
                return;
            }
            if (closed) {
                connection.channel.close();
                return;
            }
            connection.idle = true;
            connection.idleSinceNanos = System.nanoTime();
            idle.addLast(connection);
            if (keepAliveNanos > 0 && !sweeping) {
                sweeping = true;
                eventLoop.schedule(this::sweep, keepAliveNanos, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * Closes the connections idle for {@code upstream_keepalive}: the idle ones are in the order
         * they came free (the last one is taken first), so those at the head are the oldest.
         */
        private void sweep() {
            long now = System.nanoTime();
            Connection oldest;
            while ((oldest = idle.peekFirst()) != null && now - oldest.idleSinceNanos >= keepAliveNanos) {
                closeOneIdle();
            }
            if (oldest == null) {
                sweeping = false;
                return;
            }
            eventLoop.schedule(this::sweep, keepAliveNanos - (now - oldest.idleSinceNanos), TimeUnit.NANOSECONDS);
        }

        /** A connection of this loop closed: it leaves the idle ones; a waiter here gets a new one at once. */
        void closed(Connection connection) {
            if (connection.idle) {
                connection.idle = false;
                idle.remove(connection);
            }
            serveWaiting();
        }

        /** Dials for those waiting while the bound allows. */
        void serveWaiting() {
            while (!waiting.isEmpty() && !anotherWaitsLonger()) {
                Connection kept = takeIdle();
                if (kept == null && !reserve()) {
                    break;
                }
                Waiter waiter = requireNonNull(waiting.pollFirst());
                noteOldest();
                waiter.over();
                if (kept != null) {
                    waiter.caller.connected(kept, true);
                } else {
                    dial(waiter.caller);
                }
            }
            if (open.get() < maxConnections && anotherWaitsLonger()) { // room left, and their turn
                kickLongestWaiting();
            }
        }

        /** Closes the connection idle longest; false when none is. */
        boolean closeOneIdle() {
            Connection connection = idle.pollFirst();
            if (connection == null) {
                return false;
            }
            connection.idle = false;
            connection.channel.close();
            return true;
        }

        void closeIdle() {
            while (closeOneIdle()) {
                // one after the other, to the last
            }
        }
    }

    /** A caller waiting for a connection to come free, until its timer. */
    private static final class Waiter {

        final Caller caller;
        final long sinceNanos;
        private final ConnectionWaits.Wait wait;

        @Nullable
        ScheduledFuture<?> timer;

        Waiter(Caller caller, long sinceNanos, ConnectionWaits.Wait wait) {
            this.caller = caller;
            this.sinceNanos = sinceNanos;
            this.wait = wait;
        }

        /** It waits no more: served, or its time is up. */
        void over() {
            wait.end();
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /** One connection to the upstream, last in its pipeline: hands what it reads to its exchange. */
    final class Connection extends ChannelInboundHandlerAdapter {

        final Channel channel;
        private final Loop loop;
        private boolean idle;
        private long idleSinceNanos;
        private boolean reading;
        private boolean releaseAfterRead;
        private @Nullable Caller exchange;
        private final AnswerDecoder answers = new AnswerDecoder(this);

        private Connection(Channel channel, Loop loop) {
            this.channel = channel;
            this.loop = loop;
            channel.closeFuture().addListener(done -> closed());
        }

        /**
         * Whether it can serve another call: open, and no byte read from it that no answer took (the
         * start of something after an answer's end, an upstream's mistake such as a body on a HEAD's,
         * a 204's or a 304's answer, must not become the front of the next caller's answer).
         */
        boolean isClean() {
            return channel.isActive() && !answers.holdsBytes();
        }

        /** Hands the answers read from now on to {@code next}. */
        void serve(Caller next) {
            this.exchange = next;
        }

        /**
         * The exchange is over and the connection clean: it serves the next caller of its loop, once
         * the read that ended the answer is done (bytes after the answer in that read, an upstream's
         * mistake, must not become the next caller's answer: they close the connection instead).
         */
        void release() {
            exchange = null;
            if (reading) {
                releaseAfterRead = true;
            } else {
                releaseIfClean();
            }
        }

        private void releaseIfClean() {
            if (isClean()) {
                loop.release(this);
            } else if (channel.isActive()) {
                LOG.debug("upstream {} sent more than its answer; closing it", channel);
                channel.close();
            }
        }

        /** The exchange is over and the connection not fit for another: closed, nothing more passed on. */
        void discard() {
            exchange = null;
            channel.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reading = true;
            Caller current = exchange;
            if (current == null || !(msg instanceof HttpObject part)) { // nobody asked: the connection is unfit
                ReferenceCountUtil.release(msg);
                LOG.debug(
                        "upstream {} sent {} outside an exchange; closing it",
                        channel,
                        msg.getClass().getSimpleName());
                channel.close();
                return;
            }
            current.read(part);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            reading = false;
            Caller current = exchange;
            if (current != null) {
                current.readComplete();
            }
            if (releaseAfterRead) {
                releaseAfterRead = false;
                releaseIfClean();
            }
        }

        /**
         * The connection closed: its exchange is told after the codec passed on what the close ends
         * (an answer whose body runs to the close), which is why here and not on the close future.
         */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Caller current = exchange;
            exchange = null;
            if (current != null) {
                current.closed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("upstream connection {}: {}", channel, cause.toString());
            channel.close();
        }

        private void closed() {
            open.decrementAndGet();
            loop.closed(this);
            for (Loop any : loops.values()) { // room for one more: this loop's waiters had their turn
                if (any != loop) {
                    any.run(any::serveWaiting);
                }
            }
        }
    }

    /**
     * Netty's decoder of answers, told by the connection's caller whether a HEAD was asked (what
     * Netty's client codec learns from the requests it encodes), and able to say whether it holds
     * bytes that no answer took.
     */
    private static final class AnswerDecoder extends HttpResponseDecoder {

        private final Connection connection;

        AnswerDecoder(Connection connection) {
            this.connection = connection;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            Caller caller = connection.exchange;
            if (message instanceof HttpResponse answer
                    && answer.status().code() >= 200
                    && caller != null
                    && caller.head()) {
                return true;
            }
            return super.isContentAlwaysEmpty(message);
        }

        boolean holdsBytes() {
            return actualReadableBytes() > 0;
        }
    }
}
