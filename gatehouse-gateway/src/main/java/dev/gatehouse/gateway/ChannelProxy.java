package dev.gatehouse.gateway;

import dev.gatehouse.core.key.KeyExtractor;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.GuardedTransport;
import dev.gatehouse.http.HttpLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.impl.headers.HeadersAdaptor;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.net.HostAndPort;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's proxy for the requests most traffic is, below Vert.x's request objects: on a plain
 * HTTP/1.1 connection, a request without a body, upgrade or expectation, for a path outside the
 * admin prefix, the waiting room and the protected paths, to an {@code http} upstream, with tracing
 * off. Such a request takes the same pipeline as through Vert.x (client key, rate limit, breaker,
 * adaptive limit, the upstream over a bounded keep-alive pool of {@link UpstreamChannels}) and gets
 * the same answers; everything else goes on to Vert.x, and {@link Upstream}, unchanged.
 */
final class ChannelProxy {

    /*
     * Why: per request, Vert.x's server request and response, its client request and response, their
     * header maps, futures and pipes cost the gateway three to four times nginx's user-space time
     * (docs/benchmarks.md, issue 13). Here one request is one Exchange and two header maps.
     *
     * Order on the connection. HTTP/1.1 answers go out in the order the requests came. A request
     * goes to Vert.x while Vert.x has one in progress on the connection (counted in, and out as
     * Vert.x writes the last part of its answer), so Vert.x orders those; a request that arrives
     * while an exchange here is in progress waits, in order with everything after it, and the
     * connection is not read meanwhile (the decoder's one read can still hold several). A request
     * that asks to upgrade (or anything that is not HTTP/1) hands the connection to Vert.x for good.
     * A close asked while an exchange is in progress (Vert.x's graceful shutdown: it sees no request
     * of its own) waits for its end; a second close is done at once.
     */

    /** The handler's name in a connection's pipeline, just before Vert.x's. */
    static final String NAME = "gatehouse-proxy";

    private static final Logger LOG = LoggerFactory.getLogger(ChannelProxy.class);

    /** Messages that may wait on one connection (a read's worth of small pipelined requests is far fewer). */
    private static final int MAX_WAITING = 16_384;

    private final String adminPrefix;
    private final Predicate<String> roomCovers;
    private final LivePolicy policy;
    private final GatewayMetrics metrics;
    private final NanoClock clock;
    private final UpstreamChannels channels;
    private final String basePath;
    private final long responseMillis;
    private final long readNanos;
    private final @Nullable StalledAnswers stalledAnswers;
    private final int maxHeaderLines;
    private final long shutdownMillis;
    private final Optional<AccessLog> accessLog;

    /**
     * A proxy to the upstream over {@code channels}, under {@code basePath}, answers due within {@code responseMillis}
     * of the request and the upstream silent in an answer's body at most {@code readMillis} at a time
     * (0: no bound, for either), an answer held for its client one of {@code stalledAnswers} (none:
     * never given up); requests with more than {@code maxHeaderLines} header lines, for
     * a path under {@code adminPrefix} or one {@code roomCovers}, go to Vert.x. A close asked while
     * an answer is in progress waits for it at most {@code shutdownMillis}; answers are written to
     * {@code accessLog} as Vert.x's path writes them.
     */
    ChannelProxy(
            String adminPrefix,
            Predicate<String> roomCovers,
            LivePolicy policy,
            GatewayMetrics metrics,
            NanoClock clock,
            UpstreamChannels channels,
            String basePath,
            long responseMillis,
            long readMillis,
            @Nullable StalledAnswers stalledAnswers,
            int maxHeaderLines,
            long shutdownMillis,
            Optional<AccessLog> accessLog) {
        this.adminPrefix = adminPrefix;
        this.roomCovers = roomCovers;
        this.policy = policy;
        this.metrics = metrics;
        this.clock = clock;
        this.channels = channels;
        this.basePath = basePath;
        this.responseMillis = responseMillis;
        this.readNanos = TimeUnit.MILLISECONDS.toNanos(readMillis);
        this.stalledAnswers = stalledAnswers;
        this.maxHeaderLines = maxHeaderLines;
        this.shutdownMillis = shutdownMillis;
        this.accessLog = accessLog;
    }

    /** The pool its calls go out on. */
    UpstreamChannels channels() {
        return channels;
    }

    /**
     * Puts the proxy in front of Vert.x's handler on an accepted HTTP/1.x connection, before its first
     * request is read; a TLS connection is left to Vert.x.
     */
    void install(ChannelPipeline pipeline) {
        if (pipeline.get(SslHandler.class) == null && pipeline.get("handler") != null) {
            pipeline.addBefore("handler", NAME, new Connection());
        }
    }

    /**
     * The Host of {@code request} when it is one this proxy serves under {@code now}: a well-formed
     * HTTP/1.1 request without a tunnel, body, expectation or upgrade, within the header count, with
     * one Host that is a host, and a target the proxy would pass on outside the admin API, the waiting
     * room and the protected paths; else null. Every other one is Vert.x's (which also refuses what
     * must be refused).
     */
    private @Nullable HostAndPort plainHost(HttpRequest request, LivePolicy.Policy now) {
        HttpHeaders headers = request.headers();
        if (!request.decoderResult().isSuccess()
                || !request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                || request.method().equals(HttpMethod.CONNECT)
                || headers.contains(HttpHeaderNames.TRANSFER_ENCODING)
                || headers.contains(HttpHeaderNames.EXPECT)
                || headers.contains(HttpHeaderNames.UPGRADE)
                || !headers.get(HttpHeaderNames.CONTENT_LENGTH, "0").equals("0")
                || HttpLimits.headerLines(headers) > maxHeaderLines) {
            return null;
        }
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        HostAndPort host = hosts.size() == 1 ? HostAndPort.parseAuthority(hosts.getFirst(), -1) : null;
        if (host == null) {
            return null;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        boolean plain = GatewaySurface.pathProblem(uri, path) == null
                && !path.startsWith(adminPrefix)
                && !roomCovers.test(path)
                && !now.protect().covers(path);
        return plain ? host : null;
    }

    /** One client connection: which requests are served here, which by Vert.x, in their order. */
    private final class Connection extends ChannelDuplexHandler {

        private final ArrayDeque<Object> waiting = new ArrayDeque<>();
        private @Nullable ChannelHandlerContext ctx;
        private @Nullable String address;
        private String forwardedFor = KeyExtractor.UNKNOWN; // the address as X-Forwarded-For gets it
        private int vertxRequests;
        private @Nullable Exchange current;
        private boolean swallowing; // the (empty) end of a request served here is still to come
        private boolean vertxForGood;
        private boolean holding; // reads stopped while requests wait
        private boolean closing; // an answer here says Connection: close: nothing after it is read
        private @Nullable ChannelPromise closeAfterExchange;
        private @Nullable ScheduledFuture<?> answerCheck; // at most one, for the exchange in progress
        private long answerCheckNanos; // when it fires

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            this.ctx = context;
            SocketAddress remote = context.channel().remoteAddress();
            this.address = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                    ? inet.getAddress().getHostAddress()
                    : null;
            this.forwardedFor = ClientKeys.address(new NettyRequestFacts(EmptyHttpHeaders.INSTANCE, address));
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object msg) {
            if (closing) { // a request after one answered with Connection: close is never served
                ReferenceCountUtil.release(msg);
            } else if (vertxForGood && waiting.isEmpty()) {
                context.fireChannelRead(msg);
            } else if (!waiting.isEmpty()) {
                waiting.addLast(msg);
                hold(context);
            } else {
                dispatch(context, msg, false);
            }
        }

        /**
         * Serves {@code msg} here, hands it to Vert.x, or has it wait (first in line when it came
         * from the line, {@code queued}): while an exchange here is in progress, and a new request
         * while the client leaves answers unread past the connection's buffer.
         */
        private void dispatch(ChannelHandlerContext context, Object msg, boolean queued) {
            if (closing) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (vertxForGood) {
                context.fireChannelRead(msg);
                return;
            }
            if (swallowing && msg instanceof HttpContent content) {
                swallowing = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            if (current != null
                    || (msg instanceof HttpRequest && !context.channel().isWritable())) {
                if (queued) {
                    waiting.addFirst(msg);
                } else {
                    waiting.addLast(msg);
                }
                hold(context);
                return;
            }
            if (msg instanceof HttpRequest request) {
                LivePolicy.Policy now = policy.current();
                HostAndPort host = vertxRequests == 0 ? plainHost(request, now) : null;
                if (host != null) {
                    swallowing = !(request instanceof LastHttpContent);
                    closing = !HttpUtil.isKeepAlive(request); // its answer says Connection: close
                    serve(context, request, host, now);
                    return;
                }
                vertxRequests++;
                vertxForGood = request.headers().contains(HttpHeaderNames.UPGRADE);
            } else if (!(msg instanceof HttpContent)) {
                vertxForGood = true; // no longer HTTP/1 messages: Vert.x's from here on
            }
            context.fireChannelRead(msg);
        }

        /**
         * Stops reads while messages wait (again at each one queued: Vert.x may have turned them back
         * on); past {@link #MAX_WAITING} of them the connection is closed.
         */
        private void hold(ChannelHandlerContext context) {
            holding = true;
            if (context.channel().config().isAutoRead()) {
                context.channel().config().setAutoRead(false);
            }
            if (waiting.size() > MAX_WAITING) {
                LOG.debug("{}: more than {} messages wait; closing", context.channel(), MAX_WAITING);
                releaseWaiting();
                closing = true;
                context.close();
            }
        }

        /**
         * Has the exchange in progress checked at {@code dueNanos} (System.nanoTime()), or sooner: one
         * timer a connection, armed when none is or for an earlier time than the one armed, which
         * looks again at the exchange then in progress (a keep-alive connection's calls follow one
         * another: no timer is made and cancelled for each).
         */
        void checkAnswerBy(long dueNanos) {
            ChannelHandlerContext context = ctx;
            ScheduledFuture<?> armed = answerCheck;
            if (context == null || (armed != null && dueNanos - answerCheckNanos >= 0)) {
                return; // the timer armed comes as soon
            }
            if (armed != null) {
                armed.cancel(false);
            }
            answerCheckNanos = dueNanos;
            answerCheck =
                    context.executor().schedule(this::checkAnswer, dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        private void checkAnswer() {
            answerCheck = null;
            Exchange exchange = current;
            if (exchange != null && exchange.answerDueNanos != 0) {
                long now = System.nanoTime();
                exchange.checkAnswer(now);
                if (current == exchange && exchange.answerDueNanos != 0) { // not due yet: its own time
                    checkAnswerBy(exchange.answerDueNanos);
                }
            }
        }

        /** The exchange in progress ended: the requests that waited are taken up, reads resume. */
        void exchangeEnded() {
            current = null;
            ChannelHandlerContext context = ctx;
            if (context == null) {
                return;
            }
            ChannelPromise close = closeAfterExchange;
            if (close != null) {
                closeAfterExchange = null;
                context.close(close);
                return;
            }
            resume(context);
        }

        /**
         * Takes up the requests that waited and reads again; not while the client leaves answers of
         * this proxy unread past the connection's buffer (then when it has read them): a client that
         * asks without reading is not answered into memory.
         */
        private void resume(ChannelHandlerContext context) {
            if (!context.channel().isWritable()) {
                hold(context);
                return;
            }
            if (holding) { // before Vert.x takes any of them up: it may stop reads itself
                holding = false;
                context.channel().config().setAutoRead(true);
            }
            if (waiting.isEmpty()) {
                return;
            }
            Object msg;
            while (current == null && context.channel().isWritable() && (msg = waiting.pollFirst()) != null) {
                dispatch(context, msg, true);
            }
            if (!waiting.isEmpty()) {
                hold(context);
            }
            // a read's worth was handed on outside a read: Vert.x flushes and goes on at a read's end
            context.fireChannelReadComplete();
        }

        private void serve(
                ChannelHandlerContext context, HttpRequest request, HostAndPort host, LivePolicy.Policy now) {
            long startNanos = clock.nowNanos();
            long logStartNanos = System.nanoTime(); // the access log's own clock, as Vert.x's path keeps it
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            Optional<ClientRateLimit> rateLimit = now.rateLimit();
            if (rateLimit.isPresent()) {
                String key = now.clientKeys().keyOf(new NettyRequestFacts(request.headers(), address));
                Decision decision = rateLimit.get().take(key);
                if (!decision.allowed()) {
                    refuse(
                            context,
                            429,
                            GatewaySurface.RATE_LIMITED,
                            RateLimitFields.retryAfterSeconds(decision),
                            keepAlive,
                            isHead(request));
                    metrics.request(Outcome.RATE_LIMITED, clock.nowNanos() - startNanos);
                    logged(context, request, 429, logStartNanos);
                    return;
                }
            }
            UpstreamCall call = new UpstreamCall(now, clock, metrics, Optional.empty(), null);
            UpstreamCall.Refusal refusal = call.begin();
            if (refusal != null) {
                refuse(context, 503, refusal.text(), refusal.retryAfterSeconds(), keepAlive, isHead(request));
                call.finished(503);
                logged(context, request, 503, logStartNanos);
                return;
            }
            Exchange exchange = new Exchange(this, context, request, host, call, keepAlive, logStartNanos);
            current = exchange;
            channels.acquire(context.channel(), exchange);
        }

        @Override
        public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
            // Vert.x's writes (this proxy's own start after this handler): the end of an answer, and
            // the Connection: close after which Vert.x reads no request: those that follow are its own
            if (msg instanceof HttpResponse head
                    && head.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
                vertxForGood = true;
            }
            if (msg instanceof LastHttpContent
                    && !(msg instanceof HttpResponse answer && isInterim(answer))
                    && vertxRequests > 0) {
                vertxRequests--;
            }
            context.write(msg, promise);
        }

        @Override
        public void close(ChannelHandlerContext context, ChannelPromise promise) {
            if (current != null && closeAfterExchange == null) {
                LOG.debug("{}: the close waits for the end of the answer in progress", context.channel());
                closeAfterExchange = promise;
                context.executor()
                        .schedule(
                                () -> {
                                    if (promise.equals(closeAfterExchange)) { // the shutdown's bound passed
                                        closeAfterExchange = null;
                                        context.close(promise);
                                    }
                                },
                                shutdownMillis,
                                TimeUnit.MILLISECONDS);
                return;
            }
            context.close(promise);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext context) {
            if (context.channel().isWritable()) {
                Exchange exchange = current;
                if (exchange != null) {
                    exchange.resumeUpstream();
                } else if (holding) {
                    resume(context);
                }
            }
            context.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            ScheduledFuture<?> check = answerCheck;
            answerCheck = null;
            if (check != null) {
                check.cancel(false);
            }
            ChannelPromise close = closeAfterExchange;
            closeAfterExchange = null;
            if (close != null) { // closed some other way: so is what waited to close it
                close.trySuccess();
            }
            Exchange exchange = current;
            current = null;
            if (exchange != null) {
                exchange.clientGone();
            }
            releaseWaiting();
            context.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext context) {
            releaseWaiting();
        }

        private void releaseWaiting() {
            Object msg;
            while ((msg = waiting.pollFirst()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /** Writes the answer to {@code request} ({@code status}) to the access log, when one is kept. */
    private void logged(ChannelHandlerContext context, HttpRequest request, int status, long startNanos) {
        AccessLog log = accessLog.orElse(null);
        if (log != null) {
            log.record(
                    request.method().name(),
                    request.uri(),
                    "http/1.1",
                    context.channel().remoteAddress(),
                    status,
                    startNanos);
        }
    }

    private static boolean isInterim(HttpResponse head) {
        int code = head.status().code();
        return code >= 100 && code < 200 && code != 101;
    }

    private static boolean isHead(HttpRequest request) {
        return request.method().equals(HttpMethod.HEAD);
    }

    /**
     * A refusal in Wicket's words, as Vert.x's path answers it (plain text, {@code nosniff}); to a
     * {@code head} request, its head alone (the length the text would have): a body there would be
     * read as the front of the connection's next answer.
     */
    private static void refuse(
            ChannelHandlerContext context,
            int status,
            String text,
            long retryAfterSeconds,
            boolean keepAlive,
            boolean head) {
        HeadersMultiMap headers = HeadersMultiMap.caseInsensitive();
        if (retryAfterSeconds > 0) {
            headers.add(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfterSeconds));
        }
        headers.add("X-Content-Type-Options", "nosniff");
        headers.add(HttpHeaderNames.CONTENT_TYPE, ErrorStyle.PLAIN_TEXT);
        ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        if (head) {
            headers.add(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.readableBytes()));
            body.release();
            body = Unpooled.EMPTY_BUFFER;
        }
        answer(context, status, headers, body, keepAlive);
    }

    /** An empty answer of {@code status} (502, 504): the upstream's failure, as Vert.x's path says it. */
    private static void sendEmpty(ChannelHandlerContext context, int status, boolean keepAlive) {
        answer(context, status, HeadersMultiMap.caseInsensitive(), Unpooled.EMPTY_BUFFER, keepAlive);
    }

    /** {@code body} with its length, unless {@code headers} give one (a HEAD's answer). */
    private static void answer(
            ChannelHandlerContext context, int status, HeadersMultiMap headers, ByteBuf body, boolean keepAlive) {
        if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            headers.add(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.readableBytes()));
        }
        if (!keepAlive) {
            headers.add(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        context.writeAndFlush(new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status),
                body,
                headers,
                HeadersMultiMap.caseInsensitive()));
    }

    /** One request served here: its upstream call, from the connection to the answer's last byte. */
    private final class Exchange implements UpstreamChannels.Caller, StalledAnswers.Answer {

        private final Connection connection;
        private final ChannelHandlerContext client;
        private final HttpRequest request;
        private final HostAndPort host;
        private final UpstreamCall call;
        private final boolean keepAlive;
        private final boolean head;
        private final long logStartNanos;
        private @Nullable HttpRequest out; // the request as the upstream gets it, once made
        private UpstreamChannels.@Nullable Connection upstreamConnection;
        private long
                answerDueNanos; // when its answer's head, or the body's next bytes, are due (System.nanoTime()); 0:
        // none
        private volatile boolean upstreamHeld; // the upstream's reads stopped until the client catches up
        private boolean stalls; // one of the stalled answers, from its first hold to its end
        private volatile long heldSinceNanos; // since when (System.nanoTime()), while held; read by StalledAnswers
        private long relayedBytes; // of the answer's body, to the client's connection
        private volatile long relayedAtHold; // relayedBytes as of its last hold, for StalledAnswers
        private boolean reused;
        private boolean retried;
        private boolean heard; // the upstream sent a byte of its answer
        private boolean interim; // an interim answer passed over is still being read
        private int status = -1; // the answer's, once its head is relayed (held, then sent)
        private @Nullable HttpResponse heldHead; // the answer's head until it goes to the client
        private boolean upstreamKeepAlive; // the upstream's connection can serve another call after this one
        private boolean over;

        Exchange(
                Connection connection,
                ChannelHandlerContext client,
                HttpRequest request,
                HostAndPort host,
                UpstreamCall call,
                boolean keepAlive,
                long logStartNanos) {
            this.logStartNanos = logStartNanos;
            this.connection = connection;
            this.client = client;
            this.request = request;
            this.host = host;
            this.call = call;
            this.keepAlive = keepAlive;
            this.head = isHead(request);
        }

        @Override
        public void connected(UpstreamChannels.Connection upstream, boolean wasUsed) {
            if (over) { // the client went away while it waited: the connection is clean, for the next one
                upstream.release();
                return;
            }
            this.upstreamConnection = upstream;
            this.reused = wasUsed;
            HttpRequest sent = out;
            if (sent == null) { // not on a retry: the headers are the upstream's already
                sent = upstreamRequest();
                out = sent;
            }
            upstream.serve(this);
            Channel channel = upstream.channel;
            channel.write(sent, channel.voidPromise()); // a failure closes the connection: closed() says so
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
            call.sent();
            if (responseMillis > 0) { // from now: a request without a body is all sent with its head
                answerDueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(responseMillis);
                connection.checkAnswerBy(answerDueNanos);
            }
        }

        /**
         * The request as the upstream gets it: its end-to-end headers (kept in place: the client's
         * request goes nowhere else), the forwarding ones, the client's Host.
         */
        private HttpRequest upstreamRequest() {
            HttpHeaders headers = request.headers();
            Upstream.keepEndToEnd(headers);
            String hostText = host.toString();
            Upstream.forwarded(
                    headers instanceof HeadersMultiMap map ? map : new HeadersAdaptor(headers),
                    connection.forwardedFor,
                    hostText,
                    false);
            // the client's Host, as Vert.x's client writes it: no :80
            headers.set(HttpHeaderNames.HOST, host.port() == 80 ? host.host() : hostText);
            return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), basePath + request.uri(), headers);
        }

        @Override
        public boolean head() {
            return head;
        }

        @Override
        public void failed(Throwable cause, boolean shed) {
            if (over) {
                return;
            }
            if (shed) {
                call.shed();
                refuse(
                        client,
                        503,
                        UpstreamCall.Refusal.SHED.text(),
                        UpstreamCall.Refusal.SHED.retryAfterSeconds(),
                        keepAlive,
                        head);
                end(503);
                return;
            }
            LOG.debug("upstream failed: {}", cause.toString());
            call.failed(502);
            sendEmpty(client, 502, keepAlive);
            end(502);
        }

        @Override
        public void read(HttpObject part) {
            heard = true;
            if (over) {
                ReferenceCountUtil.release(part);
                return;
            }
            if (interim && part instanceof HttpContent end) { // the (empty) end of an interim answer
                interim = !(end instanceof LastHttpContent);
                end.release();
                return;
            }
            if (part instanceof HttpResponse answer) {
                int code = answer.status().code();
                if (answer.decoderResult().isSuccess() && (code == 100 || code == 103)) {
                    interim = true; // Continue and Early Hints before the answer: passed over, as Vert.x's client does
                    return; // the answer's bound still runs
                }
                noAnswerDue();
                if (!answer.decoderResult().isSuccess() || code < 200 || code > 999) {
                    // a garbled answer (a status of more than three digits too), or an interim one in
                    // place of the answer: the connection is unfit
                    ReferenceCountUtil.release(part);
                    discardUpstream();
                    LOG.debug(
                            "upstream answered {}",
                            answer.decoderResult().isSuccess() ? answer.status() : answer.decoderResult());
                    call.failed(502);
                    sendEmpty(client, 502, keepAlive);
                    end(502);
                    return;
                }
                holdHead(answer);
            }
            if (part instanceof HttpContent content
                    && !(part instanceof HttpResponse)
                    && !content.decoderResult().isSuccess()) {
                // a body the decoder could not read (a chunk's size, its end, a trailer): the
                // connection is unfit, and what came is no whole answer
                content.release();
                LOG.debug("upstream's answer unreadable: {}", content.decoderResult());
                discardUpstream();
                if (heldHead != null) { // nothing of it went out: a 502 can say so
                    heldHead = null;
                    status = -1;
                }
                if (status >= 0) {
                    brokeOff();
                } else {
                    call.failed(502);
                    sendEmpty(client, 502, keepAlive);
                    end(502);
                }
                return;
            }
            if (part instanceof HttpContent content) {
                sendHead();
                relayedBytes += content.content().readableBytes();
                if (content instanceof LastHttpContent last
                        && !last.trailingHeaders().isEmpty()) {
                    client.write(
                            new DefaultLastHttpContent(last.content())); // trailers stay, as Vert.x's path drops them
                } else {
                    client.write(content);
                }
                if (content instanceof LastHttpContent) {
                    client.flush();
                    UpstreamChannels.Connection used = upstreamConnection;
                    upstreamConnection = null;
                    if (used != null) {
                        if (upstreamKeepAlive) {
                            used.release();
                        } else {
                            used.discard();
                        }
                    }
                    end(status);
                } else if (!client.channel().isWritable()) { // the client reads slower than the upstream sends
                    UpstreamChannels.Connection used = upstreamConnection;
                    if (used != null) {
                        used.channel.config().setAutoRead(false);
                        upstreamHeld = true;
                        // the client's time now, which the write bound judges, and given up first
                        // when requests wait for an upstream connection, if its client takes none
                        heldSinceNanos = System.nanoTime();
                        relayedAtHold = relayedBytes;
                        noAnswerDue();
                        if (stalledAnswers != null && !stalls) { // judged at each look from now to its end
                            stalls = true;
                            stalledAnswers.stalls(this);
                        }
                    }
                }
            }
        }

        /**
         * Readies the answer's head for the client, to go out with the first part of its body or at
         * the end of the read that brought it (so a body that cannot be read in that same read is
         * still a 502, not an answer cut off after its head).
         */
        private void holdHead(HttpResponse answer) {
            status = answer.status().code();
            upstreamKeepAlive =
                    HttpUtil.isKeepAlive(answer) && answer.protocolVersion().equals(HttpVersion.HTTP_1_1);
            HttpHeaders headers = answer.headers(); // the upstream's answer goes on itself, less its hop's headers
            Upstream.keepEndToEnd(headers);
            boolean bodiless = head || status == 204 || status == 304;
            if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH) && !bodiless) {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            if (!keepAlive) {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            answer.setProtocolVersion(HttpVersion.HTTP_1_1);
            heldHead = answer;
        }

        /** The answer's head, if held, goes to the client: the upstream has answered. */
        private void sendHead() {
            HttpResponse answer = heldHead;
            if (answer != null) {
                heldHead = null;
                call.answered(status);
                client.write(answer);
            }
        }

        @Override
        public void readComplete() {
            if (!over) {
                sendHead();
                client.flush();
                if (status >= 0 && !upstreamHeld) { // the body goes on: its next bytes are due in turn
                    bodyDue();
                }
            }
        }

        /** The client reads again: so does the upstream's connection, held again to the body's bound. */
        void resumeUpstream() {
            UpstreamChannels.Connection used = upstreamConnection;
            if (used != null) {
                used.channel.config().setAutoRead(true);
                if (upstreamHeld) {
                    upstreamHeld = false;
                    bodyDue();
                }
            }
        }

        /** The upstream's next bytes of the body are due within {@code upstream_read} from now. */
        private void bodyDue() {
            if (readNanos > 0) {
                answerDueNanos = System.nanoTime() + readNanos;
                connection.checkAnswerBy(answerDueNanos);
            }
        }

        @Override
        public void closed() {
            upstreamConnection = null;
            if (over) {
                return;
            }
            noAnswerDue();
            if (status >= 0) { // its head went out: Netty ends a read (readComplete) before a close
                brokeOff();
                return;
            }
            if (reused && !heard && !retried && isIdempotent()) {
                // a kept connection the upstream had closed as it was reused: once more on another
                retried = true;
                channels.acquireNew(client.channel(), this);
                return;
            }
            LOG.debug("the upstream closed the connection before its answer");
            call.failed(502);
            sendEmpty(client, 502, keepAlive);
            end(502);
        }

        /** The answer broke off after its head went out: the client must not take a part for the whole. */
        private void brokeOff() {
            call.brokeOff();
            cutOff();
        }

        /** The answer ends here, short of its end: the client's connection closes. */
        private void cutOff() {
            call.finished(status);
            over = true;
            stallsNoMore();
            connection.current = null;
            client.flush(); // what went on of it is seen cut off, whichever read it came in: not a bare close
            client.close();
        }

        private boolean isIdempotent() {
            return request.method().equals(HttpMethod.GET)
                    || head
                    || request.method().equals(HttpMethod.OPTIONS);
        }

        /**
         * Its answer's bound passed at {@code nanos}: a 504 when its head is late; when the body's next
         * bytes are, the answer is cut off (its head went out: it cannot be made whole).
         */
        void checkAnswer(long nanos) {
            if (answerDueNanos == 0 || nanos - answerDueNanos < 0) {
                return;
            }
            answerDueNanos = 0;
            if (over) {
                return;
            }
            if (status >= 0) {
                LOG.debug("upstream silent in its answer's body for the upstream_read bound");
                discardUpstream();
                brokeOff();
                return;
            }
            discardUpstream();
            LOG.debug("upstream timed out");
            call.failed(504);
            sendEmpty(client, 504, keepAlive);
            end(504);
        }

        /** It is over: no longer one of the stalled answers. */
        private void stallsNoMore() {
            upstreamHeld = false;
            if (stalls && stalledAnswers != null) {
                stalls = false;
                stalledAnswers.takes(this);
            }
        }

        /**
         * While held (its client slower than the upstream), how long nothing new went out on its
         * client's TCP connection; not held, none. Held alone says too little: with a send buffer of
         * megabytes the kernel says there is room again only once a third of it is read, so a client
         * reading a megabyte a second is held for seconds at a time.
         */
        @Override
        public long idleNanos() {
            return upstreamHeld ? sentNothingNanos() : 0;
        }

        /**
         * How long nothing new went out on its client's TCP connection (the kernel's {@code
         * TCP_INFO}); where the transport cannot tell, how long it is held (none if it is not).
         */
        private long sentNothingNanos() {
            try {
                long millis = GuardedTransport.millisSinceDataSent(client.channel());
                if (millis >= 0) {
                    return TimeUnit.MILLISECONDS.toNanos(millis);
                }
                return upstreamHeld ? System.nanoTime() - heldSinceNanos : 0;
            } catch (ChannelException closing) { // asked from another thread as it closed: nothing to free
                return 0;
            }
        }

        /**
         * What went to its client's connection less what the kernel may still hold of it (its send
         * buffer, which grows to megabytes even for a client that reads nothing).
         */
        @Override
        public long takenBytes() {
            return Math.max(0, relayedAtHold - GuardedTransport.sendBufferBytes(client.channel()));
        }

        @Override
        public boolean held() {
            return upstreamHeld;
        }

        @Override
        public long acknowledgedBytes() {
            return GuardedTransport.acknowledgedBytes(client.channel()); // its answer alone on it now
        }

        @Override
        public long beganNanos() {
            return call.answeredNanos();
        }

        /** Requests wait for an upstream connection. No breaker failure: the client's doing. */
        @Override
        public void giveUp(long idleNanos) {
            client.executor().execute(() -> {
                // held or not when idle: the kernel takes in more of an answer nobody reads now and
                // then, as it grows its send buffer, so such an answer is held only for moments at a
                // time at first
                if (!over && (idleNanos == 0 ? upstreamHeld : sentNothingNanos() >= idleNanos)) {
                    LOG.debug(
                            "client took an answer too slowly while requests wait for an upstream connection: given up");
                    metrics.answerGivenUp();
                    discardUpstream();
                    GuardedTransport.resetOnClose(client.channel()); // what the kernel holds for it goes too
                    cutOff();
                }
            });
        }

        /**
         * The client went away: the upstream's connection, mid-call, is closed; a call not yet
         * answered counts as nothing, one whose answer had begun as that answer.
         */
        void clientGone() {
            if (over) {
                return;
            }
            over = true;
            stallsNoMore();
            noAnswerDue();
            discardUpstream();
            if (status >= 0) {
                call.finished(status);
            } else {
                call.abandoned();
            }
        }

        private void discardUpstream() {
            UpstreamChannels.Connection used = upstreamConnection;
            upstreamConnection = null;
            if (used != null) {
                used.discard();
            }
        }

        private void noAnswerDue() {
            answerDueNanos = 0;
        }

        /** The answer ({@code sent}) is out: counted, and the connection takes up what waited. */
        private void end(int sent) {
            over = true;
            stallsNoMore();
            noAnswerDue();
            call.finished(sent);
            logged(client, request, sent, logStartNanos);
            connection.exchangeEnded();
        }
    }
}
