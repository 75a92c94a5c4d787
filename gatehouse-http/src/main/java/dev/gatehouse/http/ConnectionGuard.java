package dev.gatehouse.http;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.core.limit.Budget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadlines of one client connection: a request head within {@code http.header-timeout-millis}
 * of its first byte, a request body within {@code http.body-timeout-millis} of its head, an unread
 * answer within {@code http.write-timeout-millis}, and no more than {@code http.idle-timeout-millis}
 * without a request in progress. It also refuses HTTP/1.1 framing that two parsers could read two
 * ways, and closes the connection after every answer that says {@code Connection: close} and after
 * the answer to a request that says it (not before: pipelined requests ahead of it are answered).
 */
final class ConnectionGuard implements Runnable {

    /*
     * Design. Two handlers share this state. The raw side sits first in the pipeline, from the
     * moment the connection is accepted, and sees bytes: it marks the start of a request head, sees
     * the send buffer fill, and owns the one timer. The message side sits after Vert.x's HTTP/1
     * codec and sees decoded requests and answers: it ends the head phase, tracks requests in
     * progress, and checks framing. A request in progress (a waiter queued for minutes) has no read
     * deadline: only its client's sending and reading are bounded, never the server's answering.
     *
     * Deadlines are absolute (from the head's first byte, from the head's end), so a client sending
     * a byte every few seconds gains nothing. The timer is not rescheduled per request: it fires at
     * most every shortest-timeout and checks the phase's deadline then. A deadline is set at least
     * shortest-timeout after it is set, and the timer never waits longer than that, so no deadline
     * is ever checked late.
     *
     * The message side must come after the codec Vert.x adds once it knows the protocol, so it is
     * an IdleStateHandler (with no timeouts of its own) named "idle": Vert.x puts its codecs in front
     * of the handler of that name and type. HTTP/2 connections (prior knowledge or upgraded) are
     * watched through Netty's connection object instead: idle with no open stream, and each stream
     * whose client is still sending is reset when its body is late.
     */

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    /** Name of the message side in the pipeline: Vert.x adds its HTTP codecs in front of it. */
    static final String MESSAGE_SIDE_NAME = "idle";

    private static final long NONE = Long.MIN_VALUE;

    /** The HTTP/2 client preface and the header of the frame after it (which must be SETTINGS). */
    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final int HTTP2_START_BYTES = HTTP2_PREFACE.length + 9;
    private static final int SETTINGS_FRAME = 4;
    private static final int MAX_FIRST_SETTINGS_BYTES = 16_384;

    private enum Phase {
        /** Waiting for the first byte of a request head. */
        AWAIT_HEAD,
        /** A head has started (or the connection just opened) and is not complete. */
        HEAD,
        /** A head is complete and its body is not. */
        BODY
    }

    private enum Mode {
        UNKNOWN,
        HTTP1,
        HTTP2,
        /**
         * Switched to another protocol (a 101 for a WebSocket, say): the bytes are the two ends'
         * own, no request heads or bodies, so only an unread answer and silence both ways (the
         * idle timeout) are bounded from here on.
         */
        TUNNEL
    }

    private final long headerTimeoutNanos;
    private final long bodyTimeoutNanos;
    private final long writeTimeoutNanos;
    private final long idleTimeoutNanos;
    private final long checkIntervalNanos;
    private final HttpLimits limits;
    private final Budget heads;
    private long headBytesHeld; // of the head coming in now, counted in heads
    private final long maxBodyBytes;
    private final int maxConcurrentStreams;
    private final RawSide raw = new RawSide();
    private final MessageSide messages = new MessageSide();

    private @Nullable ChannelHandlerContext rawContext;
    private @Nullable ScheduledFuture<?> timer;
    private Mode mode = Mode.UNKNOWN;
    private Phase phase = Phase.HEAD;
    private long phaseStartNanos;
    private boolean headBytesSeen;
    private int requestsInProgress;
    private long idleSinceNanos;
    private long writeStalledSinceNanos = NONE;
    private long bodyBytes;
    private boolean closeAfterAnswer;
    private int answersUntilClose; // a pipelined request asked to close: after its answer, this many from now
    private boolean refusing;
    private boolean upgradeAsked;
    private boolean answerPassing;
    private boolean answerStarted; // of the one request in progress
    private int http2StartChecked;
    private final byte[] http2Start = new byte[HTTP2_START_BYTES];
    private @Nullable Http2ConnectionHandler http2; // set with mode HTTP2, as streamOpenedKey
    private Http2Connection.@Nullable PropertyKey streamOpenedKey;

    /**
     * A guard under {@code limits}, the bytes of its heads coming in taken from {@code heads}: the
     * heads of every connection together. Each head is bounded, but one held while it comes costs
     * more than its bytes in the decoder's objects (about 100 KB of heap for a head of 60 KB), so
     * thousands of connections each holding most of a head within the header timeout would fill the
     * heap; a connection whose head would pass the budget is closed instead.
     */
    ConnectionGuard(HttpLimits limits, Budget heads) {
        this.heads = heads;
        this.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.headerTimeoutMillis());
        this.bodyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.bodyTimeoutMillis());
        this.writeTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.writeTimeoutMillis());
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMillis());
        this.checkIntervalNanos =
                Math.min(Math.min(headerTimeoutNanos, bodyTimeoutNanos), Math.min(writeTimeoutNanos, idleTimeoutNanos));
        this.limits = limits;
        this.maxBodyBytes = limits.maxBodyBytes();
        this.maxConcurrentStreams = limits.maxConcurrentStreams();
    }

    /** The handler that goes first in the pipeline, at accept. */
    ChannelDuplexHandler rawSide() {
        return raw;
    }

    /** The handler that goes after the HTTP/1 codec, named {@link #MESSAGE_SIDE_NAME}. */
    IdleStateHandler messageSide() {
        return messages;
    }

    /** The timer: acts on a passed deadline, else checks again by the next one. */
    @Override
    public void run() {
        timer = null;
        ChannelHandlerContext ctx = rawContext;
        if (ctx == null || !ctx.channel().isActive()) {
            return;
        }
        long nowNanos = System.nanoTime();
        long deadlineNanos = Long.MAX_VALUE;
        if (writeStalledSinceNanos != NONE) {
            if (nowNanos - writeStalledSinceNanos >= writeTimeoutNanos) {
                LOG.debug("{}: answer unread for {} ms, closing", ctx.channel(), millis(writeTimeoutNanos));
                ctx.close();
                return;
            }
            deadlineNanos = writeStalledSinceNanos + writeTimeoutNanos;
        }
        if (mode == Mode.UNKNOWN) {
            detectHttp2(ctx);
        }
        long phaseDeadlineNanos = switch (mode) {
            case HTTP2 -> checkHttp2(ctx, nowNanos);
            case TUNNEL -> checkTunnel(ctx, nowNanos);
            default -> checkHttp1(ctx, nowNanos);
        };
        if (phaseDeadlineNanos == NONE) {
            return; // closed
        }
        deadlineNanos = Math.min(deadlineNanos, phaseDeadlineNanos);
        schedule(ctx, Math.min(deadlineNanos - nowNanos, checkIntervalNanos));
    }

    /** Checks the HTTP/1 phase; returns its deadline, {@code Long.MAX_VALUE} if none, NONE if it closed. */
    @SuppressWarnings("RefactorSwitch") // each arm returns early from nested ifs; a switch expression would need yields
    private long checkHttp1(ChannelHandlerContext ctx, long nowNanos) {
        switch (phase) {
            case HEAD -> {
                if (nowNanos - phaseStartNanos < headerTimeoutNanos) {
                    return phaseStartNanos + headerTimeoutNanos;
                }
                if (headBytesSeen && requestsInProgress == 0) {
                    refuseWithTimeout(ctx);
                } else {
                    LOG.debug("{}: no request head within {} ms, closing", ctx.channel(), millis(headerTimeoutNanos));
                    ctx.close();
                }
                return NONE;
            }
            case BODY -> {
                if (nowNanos - phaseStartNanos < bodyTimeoutNanos) {
                    return phaseStartNanos + bodyTimeoutNanos;
                }
                LOG.debug("{}: request body incomplete after {} ms, closing", ctx.channel(), millis(bodyTimeoutNanos));
                ctx.close();
                return NONE;
            }
            default -> {
                if (requestsInProgress > 0) {
                    return Long.MAX_VALUE;
                }
                if (nowNanos - idleSinceNanos < idleTimeoutNanos) {
                    return idleSinceNanos + idleTimeoutNanos;
                }
                LOG.debug("{}: idle for {} ms, closing", ctx.channel(), millis(idleTimeoutNanos));
                ctx.close();
                return NONE;
            }
        }
    }

    /** A tunnel with no byte either way for {@code http.idle-timeout-millis} is closed. */
    private long checkTunnel(ChannelHandlerContext ctx, long nowNanos) {
        if (nowNanos - idleSinceNanos < idleTimeoutNanos) {
            return idleSinceNanos + idleTimeoutNanos;
        }
        LOG.debug("{}: tunnel idle for {} ms, closing", ctx.channel(), millis(idleTimeoutNanos));
        ctx.close();
        return NONE;
    }

    private long checkHttp2(ChannelHandlerContext ctx, long nowNanos) {
        // run only in mode HTTP2, which detectHttp2 sets together with both
        Http2ConnectionHandler handler = requireNonNull(http2, "http2");
        Http2Connection.PropertyKey openedKey = requireNonNull(streamOpenedKey, "streamOpenedKey");
        Http2Connection connection = handler.connection();
        if (connection.numActiveStreams() == 0) {
            if (nowNanos - idleSinceNanos < idleTimeoutNanos) {
                return idleSinceNanos + idleTimeoutNanos;
            }
            LOG.debug("{}: HTTP/2 without a stream for {} ms, closing", ctx.channel(), millis(idleTimeoutNanos));
            ctx.close();
            return NONE;
        }
        List<Integer> late = new ArrayList<>();
        long[] earliest = {Long.MAX_VALUE};
        try {
            connection.forEachActiveStream(stream -> {
                Long openedNanos = stream.getProperty(openedKey);
                if (openedNanos == null) { // opened before the guard saw HTTP/2: the upgrade request
                    openedNanos = nowNanos;
                    stream.setProperty(openedKey, openedNanos);
                }
                if (stream.state().remoteSideOpen()) {
                    long due = openedNanos + bodyTimeoutNanos;
                    if (nowNanos - due >= 0) {
                        late.add(stream.id());
                    } else {
                        earliest[0] = Math.min(earliest[0], due);
                    }
                }
                return true;
            });
        } catch (Http2Exception e) {
            ctx.close();
            return NONE;
        }
        if (!late.isEmpty()) {
            ChannelHandlerContext http2Context = ctx.pipeline().context(handler);
            for (int streamId : late) {
                handler.resetStream(http2Context, streamId, Http2Error.CANCEL.code(), http2Context.newPromise());
            }
            http2Context.flush();
        }
        return earliest[0];
    }

    /** The head coming in is whole (or never will be): its bytes no longer count. */
    private void headDone() {
        heads.give(headBytesHeld);
        headBytesHeld = 0;
    }

    /** 408 with a message naming the limit, then close: the client sent part of a head, too slowly. */
    private void refuseWithTimeout(ChannelHandlerContext ctx) {
        answerAndClose(
                ctx,
                "408 Request Timeout",
                "request head not received within " + millis(headerTimeoutNanos) + " ms (http.header-timeout-millis)");
    }

    /**
     * 400 for a chunk that does not decode, 413 for a chunked body past the bound, then close: the
     * request's own route has not answered, and the body it may be waiting for will not come.
     */
    private void refuseBody(boolean badChunk) {
        ChannelHandlerContext ctx = rawContext;
        if (ctx == null) {
            return;
        }
        if (badChunk) {
            answerAndClose(ctx, "400 Bad Request", "the chunked request body does not decode");
        } else {
            answerAndClose(
                    ctx,
                    "413 Content Too Large",
                    "request body too large (" + limits.expected(maxBodyBytes, " bytes", HttpLimits.MAX_BODY_BYTES)
                            + ")");
        }
    }

    /** A plain-text answer written below the HTTP codec, then close. */
    private static void answerAndClose(ChannelHandlerContext ctx, String status, String message) {
        ctx.writeAndFlush(plainAnswer(status, message)).addListener(ChannelFutureListener.CLOSE);
    }

    /** A whole plain-text HTTP/1.1 answer that closes the connection, as bytes. */
    private static ByteBuf plainAnswer(String status, String message) {
        byte[] body = message.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        if (timer == null) {
            timer = ctx.executor().schedule(this, Math.max(delayNanos, 1), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Switches to HTTP/2 watching once Vert.x put an HTTP/2 handler in the pipeline. */
    private void detectHttp2(ChannelHandlerContext ctx) {
        if (mode == Mode.HTTP2) {
            return;
        }
        Http2ConnectionHandler handler = ctx.pipeline().get(Http2ConnectionHandler.class);
        if (handler == null) {
            return;
        }
        mode = Mode.HTTP2;
        headDone(); // its heads are HTTP/2's frames, bounded by its own settings
        http2 = handler;
        idleSinceNanos = System.nanoTime();
        Http2Connection connection = handler.connection();
        // Netty applies the advertised limit only once the client acknowledged the SETTINGS; a
        // client that never does would have none. Like Go's server, refuse past it from the start.
        connection.remote().maxActiveStreams(maxConcurrentStreams);
        streamOpenedKey = connection.newKey();
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamActive(Http2Stream stream) {
                stream.setProperty(streamOpenedKey, System.nanoTime());
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                idleSinceNanos = System.nanoTime();
            }
        });
    }

    /**
     * Makes an accepted head read one way by everything after this: {@code chunked} in lowercase
     * (the proxy compares it exactly), and a {@code close} anywhere in {@code Connection} honoured.
     */
    private void settle(HttpRequest request) {
        if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            request.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)
                && answersUntilClose == 0) {
            answersUntilClose = requestsInProgress; // its own answer, after those of the requests before it
        }
    }

    /*
     * Framing that a front proxy and this server could read two ways is refused (RFC 9112 6.1 and
     * 6.3): a Transfer-Encoding other than exactly one "chunked". Netty itself refuses chunked with a
     * Content-Length, two different Content-Lengths, bare LF, and control characters in headers.
     */
    private static @Nullable String framingProblem(HttpRequest request) {
        List<String> encodings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (encodings.isEmpty()) {
            return null;
        }
        if (encodings.size() == 1
                && HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(
                        encodings.getFirst().trim())
                && !request.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return null;
        }
        return "Transfer-Encoding " + encodings + " (expected: chunked alone, without Content-Length)";
    }

    /**
     * Why the request's HTTP version is not one this listener speaks over HTTP/1 (1.0 and 1.1,
     * spelled as RFC 9112 spells them: case-sensitive), or null. Vert.x would answer 501 and echo the client's
     * version in its status line; this makes it a 400 naming the version.
     */
    @SuppressWarnings("ReferenceEquality") // identity tells the exact spellings from look-alikes
    private static @Nullable String versionProblem(HttpRequest request) {
        HttpVersion version = request.protocolVersion();
        // Netty returns its constants only for the exact spellings; Vert.x (and this) compare by identity
        return version == HttpVersion.HTTP_1_1 || version == HttpVersion.HTTP_1_0
                ? null
                : "unsupported HTTP version " + version.text() // escaped when answered
                        + " (expected: HTTP/1.1 or HTTP/1.0, in capitals)";
    }

    /**
     * Why the head is malformed beyond what the codec checks, or null: a control character or space
     * in the request target (RFC 9112 3.2), an HTTP/1.1 request without exactly one {@code Host}
     * (RFC 9112 3.2; Go's server, gocc's, refuses both too), or a header with an empty name.
     */
    @SuppressWarnings("ReferenceEquality") // Netty's version constants, as in versionProblem
    private static @Nullable String headProblem(HttpRequest request) {
        String problem = targetProblem(request.uri());
        if (problem != null) {
            return problem;
        }
        int hosts = 0;
        // its entries as they are: iterating the headers as strings copies every entry
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it =
                        request.headers().iteratorCharSequence();
                it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (name.isEmpty()) {
                return "a header with an empty name";
            }
            if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
                hosts++;
            }
        }
        if (hosts > 1 || (hosts == 0 && request.protocolVersion() == HttpVersion.HTTP_1_1)) {
            return hosts + " Host headers (expected: exactly one)";
        }
        return null;
    }

    /**
     * Why {@code target} is no request target (RFC 9112 3.2, RFC 9113 8.3.1: neither HTTP/1's
     * request line nor HTTP/2's {@code :path} may carry them), or null: a control character or space.
     */
    static @Nullable String targetProblem(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= ' ' || c == 0x7F) {
                return "a control character or space in the request target";
            }
        }
        return null;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /**
     * Pipelined requests that may wait for their answers while the client reads none (the send
     * buffer full): one more closes the connection, so such a client holds a few of them, not
     * thousands.
     */
    private static final int MAX_WAITING_UNREAD = 64;

    /** The start of the answer Vert.x gives a malformed h2c upgrade. */
    private static final String BARE_400 = "HTTP/1.1 400 ";

    /** What a malformed h2c upgrade is told. */
    private static final String H2C_UPGRADE_REFUSED = "invalid h2c upgrade (expected: Connection naming Upgrade and"
            + " HTTP2-Settings, and one HTTP2-Settings header holding base64url SETTINGS; or no Upgrade: h2c)\n";

    /** Sees bytes: the start of each request head, the send buffer, the connection's end. */
    private final class RawSide extends ChannelDuplexHandler {

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            rawContext = ctx;
            phaseStartNanos = System.nanoTime();
            idleSinceNanos = phaseStartNanos;
            if (ctx.channel().isActive()) {
                schedule(ctx, checkIntervalNanos);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            schedule(ctx, checkIntervalNanos);
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            cancelTimer();
            headDone();
            super.channelInactive(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            cancelTimer();
            headDone();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (refusing) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (mode == Mode.TUNNEL) {
                idleSinceNanos = System.nanoTime(); // a byte in: the tunnel is in use
            } else if (mode != Mode.HTTP2) {
                if (phase == Phase.AWAIT_HEAD) {
                    phase = Phase.HEAD;
                    phaseStartNanos = System.nanoTime();
                    headBytesSeen = true;
                } else if (phase == Phase.HEAD) {
                    headBytesSeen = true;
                }
            }
            int read = msg instanceof ByteBuf bytes ? bytes.readableBytes() : 0;
            ctx.fireChannelRead(msg);
            if (mode == Mode.UNKNOWN || upgradeAsked) {
                detectHttp2(ctx);
            }
            if (phase == Phase.HEAD && (mode == Mode.UNKNOWN || mode == Mode.HTTP1)) {
                holdHead(ctx, read);
            }
        }

        /**
         * The {@code read} bytes just decoded left a head unfinished, which the decoder now holds:
         * counted until the head is whole (or its connection gone), or the connection closed if every
         * head coming in together would pass the budget. A head whole in the read it came in (nearly
         * every one) is never counted.
         */
        private void holdHead(ChannelHandlerContext ctx, int read) {
            if (heads.take(read)) {
                headBytesHeld += read;
                return;
            }
            LOG.debug("{}: the heads coming in on every connection are at their bound, closing", ctx.channel());
            refusing = true;
            ctx.close();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            writeStalledSinceNanos = ctx.channel().isWritable() ? NONE : System.nanoTime();
            super.channelWritabilityChanged(ctx);
        }

        /*
         * An answer written for a request the message side never saw is Vert.x refusing an h2c
         * upgrade on its own (a bare 400, Connection: close; it is given a body that says why) or
         * accepting one (101): close once it is sent, unless the connection switched to HTTP/2
         * meanwhile (the 101 of a good upgrade).
         */
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (mode == Mode.TUNNEL) {
                idleSinceNanos = System.nanoTime(); // a byte out: the tunnel is in use
            } else if (mode != Mode.HTTP2 && !answerPassing && msg instanceof ByteBuf bytes) {
                if (bytes.readableBytes() >= BARE_400.length()
                        && bytes.toString(bytes.readerIndex(), BARE_400.length(), StandardCharsets.US_ASCII)
                                .equals(BARE_400)) {
                    bytes.release();
                    msg = plainAnswer("400 Bad Request", H2C_UPGRADE_REFUSED);
                }
                ChannelPromise written = promise.unvoid();
                written.addListener(done -> {
                    detectHttp2(ctx);
                    if (mode != Mode.HTTP2) {
                        ctx.close();
                    }
                });
                ctx.write(msg, written);
                return;
            }
            ctx.write(msg, promise);
        }
    }

    /**
     * Sees decoded HTTP/1 requests and the answers before they are encoded. An IdleStateHandler with
     * no timeouts only so that Vert.x places its codec in front of it (see the design note).
     */
    private final class MessageSide extends IdleStateHandler {

        MessageSide() {
            super(0, 0, 0);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (refusing) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (mode == Mode.TUNNEL) {
                super.channelRead(ctx, msg);
                return;
            }
            if (msg instanceof ByteBuf bytes
                    && mode != Mode.HTTP1
                    && http2StartChecked < HTTP2_START_BYTES
                    && !http2StartIsValid(bytes)) {
                // Netty would refuse it too, but Vert.x logs that at ERROR before the connection
                // has an exception handler: a client's junk is not the server's error
                LOG.debug("{}: not an HTTP/2 preface followed by SETTINGS, closing", ctx.channel());
                ReferenceCountUtil.release(msg);
                refusing = true;
                ctx.close();
                return;
            }
            if (msg instanceof ByteBuf && mode == Mode.UNKNOWN) {
                detectHttp2(ctx); // before the HTTP/2 handler reads its first frames
            }
            if (msg instanceof HttpRequest
                    && requestsInProgress >= MAX_WAITING_UNREAD
                    && !ctx.channel().isWritable()) {
                // pipelining while reading no answer: each request more would wait here, parsed
                LOG.debug(
                        "{}: {} requests wait while the client reads no answer, closing",
                        ctx.channel(),
                        requestsInProgress);
                ReferenceCountUtil.release(msg);
                refusing = true;
                ctx.close();
                return;
            }
            if (msg instanceof HttpRequest request) {
                onHead(ctx, request);
            } else if (msg instanceof HttpContent content && !onContent(ctx, content)) {
                return;
            }
            if (msg instanceof LastHttpContent && mode != Mode.HTTP2) {
                phase = Phase.AWAIT_HEAD;
                headBytesSeen = false;
            }
            super.channelRead(ctx, msg);
        }

        /*
         * Bytes reach this side undecoded only on an HTTP/2 connection (prior knowledge, or after an
         * h2c upgrade). Their start is checked as Netty's decoder would: the preface, then a
         * SETTINGS frame (not an ACK) on stream 0 whose length is a multiple of 6.
         */
        private boolean http2StartIsValid(ByteBuf bytes) {
            int index = bytes.readerIndex();
            while (http2StartChecked < HTTP2_START_BYTES && index < bytes.writerIndex()) {
                http2Start[http2StartChecked] = bytes.getByte(index++);
                if (http2StartChecked < HTTP2_PREFACE.length
                        && http2Start[http2StartChecked] != HTTP2_PREFACE[http2StartChecked]) {
                    return false;
                }
                http2StartChecked++;
            }
            int at = HTTP2_PREFACE.length;
            // Netty judges the frame's type and flags as soon as they arrive: so does this check
            if (http2StartChecked > at + 3 && http2Start[at + 3] != SETTINGS_FRAME) {
                return false;
            }
            if (http2StartChecked > at + 4 && (http2Start[at + 4] & 1) != 0) {
                return false;
            }
            if (http2StartChecked < HTTP2_START_BYTES) {
                return true; // not all there yet
            }
            int length = (http2Start[at] & 0xff) << 16 | (http2Start[at + 1] & 0xff) << 8 | (http2Start[at + 2] & 0xff);
            int type = http2Start[at + 3];
            int flags = http2Start[at + 4];
            int streamId = (http2Start[at + 5] & 0x7f) << 24
                    | (http2Start[at + 6] & 0xff) << 16
                    | (http2Start[at + 7] & 0xff) << 8
                    | (http2Start[at + 8] & 0xff);
            return type == SETTINGS_FRAME
                    && (flags & 1) == 0
                    && streamId == 0
                    && length % 6 == 0
                    && length <= MAX_FIRST_SETTINGS_BYTES;
        }

        private void onHead(ChannelHandlerContext ctx, HttpRequest request) {
            headDone();
            mode = Mode.HTTP1;
            if (requestsInProgress++ == 0) {
                answerStarted = false;
            }
            phase = Phase.BODY;
            phaseStartNanos = System.nanoTime();
            bodyBytes = 0;
            upgradeAsked = request.headers().contains(HttpHeaderNames.UPGRADE);
            if (request.decoderResult().isSuccess()) {
                String problem = versionProblem(request);
                if (problem != null) {
                    request.setProtocolVersion(HttpVersion.HTTP_1_1); // the answer's status line, not the client's
                } else {
                    problem = headProblem(request);
                }
                if (problem == null) {
                    problem = framingProblem(request);
                }
                if (problem != null) {
                    // Vert.x answers a failed request 400 and closes; nothing after it is read
                    request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(problem)));
                    stopReading(ctx);
                } else {
                    settle(request);
                }
            } else {
                // the codec's placeholder for a head it could not read says HTTP/1.0; the answer is 1.1's
                request.setProtocolVersion(HttpVersion.HTTP_1_1);
                stopReading(ctx);
            }
        }

        /** Counts and checks body bytes; false when the content was dropped. */
        private boolean onContent(ChannelHandlerContext ctx, HttpContent content) {
            if (content.decoderResult().isFailure()
                    || (bodyBytes += content.content().readableBytes()) > maxBodyBytes) {
                // a bad chunk or a chunked body over the bound: answer what was asked, read no more
                boolean badChunk = content.decoderResult().isFailure();
                ReferenceCountUtil.release(content);
                closeAfterAnswer = true;
                stopReading(ctx);
                if (requestsInProgress == 0) { // answered already, maybe not yet flushed
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                } else if (requestsInProgress == 1 && !answerStarted) {
                    // a route that reads the body would wait for an end that never comes: answer now
                    refuseBody(badChunk);
                }
                return false;
            }
            return true;
        }

        private void stopReading(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(false);
            refusing = true; // the rest of this read is decoded and dropped
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            answerPassing = true; // the encoder hands the bytes to the raw side within this call
            try {
                writeAnswer(ctx, msg, promise);
            } finally {
                answerPassing = false;
            }
        }

        private void writeAnswer(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse response) {
                if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                    if (response.status().code() == 101
                            && mode == Mode.HTTP1
                            && !"h2c".equalsIgnoreCase(response.headers().get(HttpHeaderNames.UPGRADE))) {
                        mode = Mode.TUNNEL; // a WebSocket, say; h2c is watched as HTTP/2
                        requestsInProgress = 0;
                        idleSinceNanos = System.nanoTime();
                    }
                    super.write(ctx, msg, promise); // 100 Continue, 103: not the answer
                    return;
                }
                answerStarted = true;
                if (response.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
                    closeAfterAnswer = true;
                }
            }
            if (msg instanceof LastHttpContent && mode != Mode.HTTP2) {
                requestsInProgress = Math.max(0, requestsInProgress - 1);
                if (answersUntilClose > 0 && --answersUntilClose == 0) {
                    closeAfterAnswer = true;
                }
                idleSinceNanos = System.nanoTime();
                if (closeAfterAnswer) {
                    ChannelPromise written = promise.unvoid();
                    written.addListener(ChannelFutureListener.CLOSE);
                    super.write(ctx, msg, written);
                    return;
                }
            }
            super.write(ctx, msg, promise);
        }
    }
}
