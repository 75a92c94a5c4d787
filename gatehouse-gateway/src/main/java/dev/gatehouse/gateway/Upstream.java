package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.gateway.config.GatewayConfig.Timeouts;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.ClientText;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.GuardedTransport;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.WriteStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy to the upstream, behind the circuit breaker and the adaptive limit: bodies streamed
 * both ways over a bounded keep-alive pool, hop-by-hop headers dropped both ways, {@code
 * X-Forwarded-For/-Host/-Proto} set, the client's {@code Host} kept, WebSocket upgrades passed
 * through. An upstream that cannot be reached is a 502, one that does not answer within {@code
 * upstream_response} a 504; both, and every answer of 500 or more, count as breaker failures, and
 * a client that breaks off counts as nothing. An open breaker answers 503 {@code service
 * temporarily unavailable}, as Wicket does, and so does the adaptive limit when it sheds (with
 * {@code Retry-After}); it is fed every call's upstream latency.
 */
final class Upstream implements Handler<HttpServerRequest>, AutoCloseable {

    /**
     * The code an answer cut off after its start is reset with: HTTP/2's CANCEL, since NO_ERROR (what
     * Vert.x sends by default) after an answer's start tells a client the answer is whole (RFC 9113
     * 8.1); over HTTP/1 the connection is closed whatever the code.
     */
    private static final long CANCEL = 8;

    /*
     * Straight on Vert.x's HTTP client, not vertx-http-proxy: measured, the library cost a quarter of
     * the requests a second (a copy and re-validation of every header, a parse of the upstream's Date
     * for its cache logic; docs/benchmarks.md), buffered whole answers for HTTP/1.0 clients, and threw
     * on a refused WebSocket upgrade. Each call is accounted once (Call).
     */

    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

    /** Methods whose HTTP/2 request without a length has no body. */
    private static final Set<HttpMethod> BODILESS =
            Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.DELETE, HttpMethod.TRACE);

    /** The dial bound with upstream_dial off: Go's default transport's, as Wicket falls back to it. */
    private static final int GO_DIAL_MILLIS = 30_000;

    /** The WebSocket protocol's GUID, which the upstream's accept hashes with the client's key (RFC 6455). */
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** Requests waiting for a pooled connection, per allowed connection, before new ones fail (502). */
    private static final int WAITING_PER_CONNECTION = 16;

    private final Vertx vertx;
    private final HttpClient client;
    private final HttpClient tunnels;
    private final int waitMillis;
    private final String host;
    private final int port;
    private final boolean tls;
    private final String basePath;
    private final Timeouts timeouts;
    private final LivePolicy policy;
    private final GatewayMetrics metrics;
    private final Optional<GatewayTracing> tracing;
    private final NanoClock clock;
    private final AnswerBudget budget;
    private final StalledAnswers stalledAnswers; // Vert.x's pool's
    private volatile @Nullable UpstreamChannels channels;
    private volatile @Nullable StalledAnswers plainStalledAnswers; // the channels' pool's

    Upstream(
            Vertx vertx,
            GatewayConfig config,
            LivePolicy policy,
            GatewayMetrics metrics,
            Optional<GatewayTracing> tracing,
            NanoClock clock) {
        this.vertx = vertx;
        URI upstream = config.upstream();
        this.tls = upstream.getScheme().equals("https");
        this.host = upstream.getHost();
        this.port = upstream.getPort() != -1 ? upstream.getPort() : tls ? 443 : 80;
        String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.timeouts = config.timeouts();
        this.policy = policy;
        this.metrics = metrics;
        this.tracing = tracing;
        this.clock = clock;
        this.waitMillis = timeouts.upstreamDial().isZero() ? GO_DIAL_MILLIS : millis(timeouts.upstreamDial());
        this.stalledAnswers = new StalledAnswers(
                new ConnectionWaits(clock),
                TimeUnit.MILLISECONDS.toNanos(waitMillis),
                clock,
                AnswerBudget.onEventLoop(vertx));
        this.budget = new AnswerBudget(
                clock,
                AnswerBudget.onEventLoop(vertx),
                AnswerBudget.ANSWER_BYTES,
                TimeUnit.MILLISECONDS.toNanos(millis(timeouts.write())),
                Runtime.getRuntime().maxMemory() / AnswerBudget.HELD_SHARE_OF_HEAP,
                stalledAnswers);
        HttpClientOptions options = new HttpClientOptions()
                .setSsl(tls)
                .setVerifyHost(true)
                .setKeepAlive(true)
                .setKeepAliveTimeout(seconds(timeouts.upstreamKeepalive()))
                .setConnectTimeout(timeouts.upstreamDial().isZero() ? GO_DIAL_MILLIS : millis(timeouts.upstreamDial()))
                .setDecompressionSupported(false);
        PoolOptions pool = new PoolOptions()
                .setHttp1MaxSize(timeouts.upstreamMaxConns())
                .setMaxWaitQueueSize(timeouts.upstreamMaxConns() * WAITING_PER_CONNECTION);
        this.client = client(vertx, options, pool);
        // tunnels hold their connection for as long as they live: a pool of their own, so that open
        // WebSockets never leave the requests without a connection
        this.tunnels = client(vertx, new HttpClientOptions(options), new PoolOptions(pool));
    }

    @Override
    public void handle(HttpServerRequest request) {
        String expect = request.getHeader(HttpHeaders.EXPECT);
        if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            ErrorStyle.sendText(ErrorStyle.closing(request), 417, "Expect: only 100-continue is met\n");
            return;
        }
        UpstreamCall call = new UpstreamCall(
                policy.current(), clock, metrics, tracing, tracing.isPresent() ? GatewayTracing.current() : null);
        UpstreamCall.Refusal refusal = call.begin();
        if (refusal != null) {
            send(refusal, request.response());
            call.finished(503);
            return;
        }
        request.pause();
        boolean upgrade = isUpgrade(request);
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(host)
                .setPort(port)
                .setSsl(tls)
                .setConnectTimeout(waitMillis) // a free connection within the dial bound, or shed
                .setURI(basePath + request.uri()); // an origin-form target: GatewaySurface refused the others
        // a request that waits long for a connection has answers nobody reads given up (StalledAnswers);
        // a tunnel's pool is its own and holds no answer
        ConnectionWaits.@Nullable Wait wait =
                upgrade ? null : stalledAnswers.waits().begin();
        (upgrade ? tunnels : client).request(options).onComplete(opened -> {
            if (wait != null) {
                wait.end();
            }
            if (opened.failed()) { // no connection: refused, timed out, or the pool's queue is full
                unanswered(request, call, opened.cause(), false);
                return;
            }
            HttpClientRequest out = opened.result();
            // a reset (the client went away, its body broke) is handled here; not Vert.x's ERROR line
            out.exceptionHandler(failure -> LOG.debug("upstream request ended: {}", failure.toString()));
            if (clientGone(request)) {
                out.reset(0, new HttpClosedException("the client went away"));
                call.abandoned();
                return;
            }
            request.response().closeHandler(closed -> out.reset(0, new HttpClosedException("the client went away")));
            try {
                copyHeaders(request, out, upgrade);
            } catch (IllegalArgumentException e) { // a header value HTTP/1.1 cannot carry (HTTP/2 lets some in)
                out.reset();
                call.abandoned();
                ErrorStyle.sendText(
                        ErrorStyle.closing(request),
                        400,
                        "a request header cannot be passed on: " + ClientText.shorten(e.getMessage()) + "\n");
                return;
            }
            call.traced(out.headers());
            if (upgrade) {
                tunnel(request, out, call);
            } else {
                forward(request, out, call);
            }
        });
    }

    /**
     * An HTTP client to the upstream whose connection failures (a garbled answer, say) are logged at
     * DEBUG, and whose connections flush once per turn of their event loop: a request written while
     * the client's connection is read then goes out with the others of that turn, and the upstream
     * wakes once for them, not once each (docs/benchmarks.md).
     */
    private static HttpClient client(Vertx vertx, HttpClientOptions options, PoolOptions pool) {
        return vertx.httpClientBuilder()
                .with(options)
                .with(pool)
                .withConnectHandler(connection -> {
                    connection.exceptionHandler(failure -> LOG.debug("upstream connection: {}", failure.toString()));
                    Channel channel = GuardedTransport.channel(connection);
                    if (channel != null
                            && channel.pipeline().get(HttpClientCodec.class) != null
                            && channel.pipeline().get("handler") != null) { // HTTP/1.1, as Vert.x built it
                        channel.pipeline().addBefore("handler", UpstreamReads.NAME, new UpstreamReads());
                    }
                    if (!GuardedTransport.flushOncePerTurn(connection)) {
                        LOG.debug("upstream connection {} flushes at every write", connection);
                    }
                })
                .build();
    }

    /** What this path holds of answers for clients that read slower than the upstream sends. */
    AnswerBudget budget() {
        return budget;
    }

    /**
     * The channel-level proxy for the plain requests to this upstream ({@link ChannelProxy}), on a
     * pool of its own bounded by {@code upstream_max_conns}; none for an {@code https} upstream or
     * with tracing on, where every request takes Vert.x's path. Requests for a path under {@code
     * adminPrefix} or one {@code roomCovers}, and those with more than {@code maxHeaderLines} header
     * lines, take Vert.x's path too. A close waits for an answer in progress at most {@code
     * shutdownMillis}; answers go to {@code accessLog}.
     */
    Optional<ChannelProxy> channelProxy(
            String adminPrefix,
            Predicate<String> roomCovers,
            int maxHeaderLines,
            long shutdownMillis,
            Optional<AccessLog> accessLog) {
        if (tls || tracing.isPresent()) {
            return Optional.empty();
        }
        StalledAnswers stalled = new StalledAnswers(
                new ConnectionWaits(clock),
                TimeUnit.MILLISECONDS.toNanos(waitMillis),
                clock,
                AnswerBudget.onEventLoop(vertx));
        plainStalledAnswers = stalled;
        UpstreamChannels opened = new UpstreamChannels(
                host,
                port,
                timeouts.upstreamMaxConns(),
                waitMillis,
                seconds(timeouts.upstreamKeepalive()),
                ((VertxInternal) vertx).nameResolver().nettyAddressResolverGroup(),
                stalled.waits());
        channels = opened;
        return Optional.of(new ChannelProxy(
                adminPrefix,
                roomCovers,
                policy,
                metrics,
                clock,
                opened,
                basePath,
                millis(timeouts.upstreamResponse()),
                millis(timeouts.upstreamRead()),
                millis(timeouts.write()) > 0 ? stalled : null, // with the write bound off, no answer is given up
                maxHeaderLines,
                shutdownMillis,
                accessLog));
    }

    @Override
    public void close() {
        client.close();
        tunnels.close();
        stalledAnswers.close();
        StalledAnswers plainStalled = plainStalledAnswers;
        if (plainStalled != null) {
            plainStalled.close();
        }
        UpstreamChannels opened = channels;
        if (opened != null) {
            opened.close();
        }
    }

    /**
     * The request's head and body to the upstream; the answer back once its head came. The answer's
     * deadline runs from when the request was all sent, as Go's response-header timeout does, so a
     * slow upload is the client's time, not the upstream's; an answer whose head came before that
     * has met it.
     */
    private void forward(HttpServerRequest request, HttpClientRequest out, UpstreamCall call) {
        boolean[] timedOut = {false};
        long[] timer = {-1};
        boolean[] clientBroke = {false};
        boolean[] headCame = {false};
        boolean[] allSent = {false};
        @Nullable AnswerBody[] answerBody = {null};
        out.response().onComplete(answered -> {
            headCame[0] = true;
            vertx.cancelTimer(timer[0]);
            if (answered.failed()) {
                unanswered(request, call, answered.cause(), timedOut[0], clientBroke[0]);
            } else {
                answerBody[0] = relay(request, out, answered.result(), call, allSent[0]);
            }
        });
        Runnable sent = () -> {
            allSent[0] = true;
            if (headCame[0]) { // answered before the body's end (an early refusal, or a stream): the bound is met
                AnswerBody body = answerBody[0];
                if (body != null) { // and the answer's body is the upstream's time from now
                    body.requestSent();
                }
                return;
            }
            call.sent();
            timer[0] = responseTimer(() -> {
                timedOut[0] = true;
                out.reset(0, new TimeoutException("no answer from the upstream within the upstream_response bound"));
            });
        };
        if (!hasBody(request)) {
            out.end().onSuccess(done -> sent.run());
            request.resume(); // its end (no body) is read; nothing more comes
            return;
        }
        if (request.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            out.setChunked(true); // a body of unknown length (chunked, or HTTP/2 without a length)
        }
        if (request.headers().contains(HttpHeaders.EXPECT)) { // 100-continue: handle() refused any other
            request.response().writeContinue(); // the upstream is not asked: its 100 cannot come back
        }
        request.pipe().endOnFailure(false).to(out).onComplete(piped -> {
            if (piped.succeeded()) {
                sent.run();
            } else { // the client's body broke off or did not decode: the client's doing
                clientBroke[0] = true;
                AnswerBody body = answerBody[0];
                if (body != null) { // an answer already coming: its end is not the upstream's failure
                    body.clientBroke();
                }
                out.reset();
            }
        });
    }

    /**
     * Whether {@code request} asks for a WebSocket: an HTTP/1.1 GET without a body whose {@code
     * Upgrade} is {@code websocket}, whose {@code Connection} lists {@code Upgrade} (among others:
     * Firefox sends {@code keep-alive, Upgrade}), with the handshake's one key and version 13 (RFC 6455
     * 4.1; the upstream's accept is checked against that key). Any other {@code Upgrade} is dropped and the request
     * proxied as it is: a switch to a protocol that carries requests (h2c, {@code TLS/1.2}) would take
     * every request after it past the pipeline (h2c smuggling).
     */
    private static boolean isUpgrade(HttpServerRequest request) {
        String upgradeTo = request.getHeader(HttpHeaders.UPGRADE);
        return request.version() == HttpVersion.HTTP_1_1
                && request.method().equals(HttpMethod.GET)
                && upgradeTo != null
                && upgradeTo.strip().equalsIgnoreCase("websocket")
                && isWebSocketKey(request.headers().getAll("Sec-WebSocket-Key"))
                && request.headers().getAll("Sec-WebSocket-Version").equals(List.of("13"))
                && connectionTokens(request.headers().getAll(HttpHeaders.CONNECTION), name -> true)
                        .contains("upgrade")
                && !hasBody(request);
    }

    /** Whether {@code keys} is one WebSocket key: base64 of 16 bytes (RFC 6455 4.1). */
    private static boolean isWebSocketKey(List<String> keys) {
        if (keys.size() != 1 || keys.getFirst().length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(keys.getFirst()).length == 16;
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }

    /**
     * Whether {@code accept} is the upstream's answer to the WebSocket handshake with {@code key}
     * (RFC 6455 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID).
     */
    static boolean acceptsHandshake(@Nullable String key, @Nullable String accept) {
        if (key == null || accept == null) {
            return false;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((key.strip() + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest).equals(accept.strip());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    /** Whether the request has a body: a length above 0, chunked framing, or an HTTP/2 stream still open. */
    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return !length.trim().equals("0");
        }
        if (request.version() == HttpVersion.HTTP_2) {
            return !request.isEnded() && !BODILESS.contains(request.method());
        }
        return request.headers().contains(HttpHeaders.TRANSFER_ENCODING); // the guard let chunked alone through
    }

    /**
     * Sends the upstream's answer on: status, headers but the hop-by-hop ones, the body piped, held to
     * {@code upstream_read} once the request is all sent ({@code requestSent}; else from when {@link
     * AnswerBody#requestSent} is called: an upstream reading a slow upload is silent for the
     * client's sake). Returns the body as it is piped, or null for an interim answer (dropped).
     */
    private @Nullable AnswerBody relay(
            HttpServerRequest request,
            HttpClientRequest out,
            HttpClientResponse in,
            UpstreamCall call,
            boolean requestSent) {
        int status = in.statusCode();
        if (status < 200) { // an interim answer (102, or a 101 nobody asked for) in place of the answer
            in.exceptionHandler(failure -> LOG.debug("interim answer dropped: {}", failure.toString()));
            out.reset();
            unanswered(request, call, new IllegalStateException("the upstream answered " + status), false, false);
            return null;
        }
        call.answered(status);
        HttpServerResponse response = request.response();
        response.setStatusCode(status);
        if (in.statusMessage() != null) {
            response.setStatusMessage(in.statusMessage());
        }
        MultiMap headers = response.headers();
        copyEndToEnd(in.headers(), headers);
        boolean bodiless = request.method().equals(HttpMethod.HEAD) || status < 200 || status == 204 || status == 304;
        if (!headers.contains(HttpHeaders.CONTENT_LENGTH) && !bodiless) {
            if (request.version() == HttpVersion.HTTP_1_1) {
                response.setChunked(true);
            } else if (request.version() == HttpVersion.HTTP_1_0) {
                response.putHeader(HttpHeaders.CONNECTION, "close"); // the body ends where the connection does
            }
        }
        boolean endsWithConnection =
                !headers.contains(HttpHeaders.CONTENT_LENGTH) && !bodiless && request.version() == HttpVersion.HTTP_1_0;
        boolean[] silent = {false};
        boolean[] givenUp = {false};
        AnswerBody body = new AnswerBody(vertx, in, readsOf(out), millis(timeouts.upstreamRead()), requestSent, () -> {
            LOG.debug("upstream silent in its answer's body for the upstream_read bound");
            silent[0] = true;
            out.reset(0, new TimeoutException("no byte of the answer's body within the upstream_read bound"));
        });
        Context here = vertx.getOrCreateContext(); // the answer's event loop
        Channel socket = GuardedTransport.socket(request.connection());
        boolean alone = GuardedTransport.channel(request.connection()) != null; // HTTP/1.x: one answer at a time
        WriteStream<Buffer> held = budget.bound(
                response,
                task -> here.runOnContext(v -> task.run()),
                new AnswerBudget.ClientCount() {
                    @Override
                    public long kernelBytes() {
                        return socket == null ? 0 : GuardedTransport.sendBufferBytes(socket);
                    }

                    @Override
                    public long acknowledged() {
                        return socket != null && alone ? GuardedTransport.acknowledgedBytes(socket) : -1;
                    }
                },
                () -> { // a client reading slowly holds little
                    LOG.debug("client took nothing of an answer for too long: given up");
                    givenUp[0] = true;
                    // its upstream connection goes at once (a request may be waiting for one), not when
                    // the client's side is over: an HTTP/1.1 close and an HTTP/2 reset wait behind
                    // what the client has left unread when it reads nothing at all
                    out.reset(0, new HttpClosedException("the client took nothing of the answer"));
                    Channel http1 = GuardedTransport.channel(request.connection());
                    if (http1 != null) {
                        GuardedTransport.reset(http1); // at once: no graceful close waits for this answer's end
                    } else {
                        response.reset(CANCEL);
                    }
                });
        body.pipe().endOnFailure(false).to(held).onComplete(sent -> {
            held.drainHandler(null); // the pipe is over: nothing to resume once its writes are done
            int sentStatus = status;
            if (sent.failed()) { // the upstream broke off mid-answer, or the client went away: never a whole answer
                // the upstream's doing when its body failed while the client was there (the pipe ends
                // at its first failure); a client going away fails a write first, or resets the call
                boolean upstreamsDoing = !givenUp[0] && body.broke() && !response.closed();
                out.reset(); // which fails the body too
                if (upstreamsDoing) {
                    call.brokeOff();
                }
                if (answerEmptyOrCut(response, silent[0] ? 504 : 502)) { // nothing had gone out
                    sentStatus = response.getStatusCode();
                }
            } else if (endsWithConnection) {
                request.connection().close(); // even for a keep-alive 1.0 client: the close is the body's end
            }
            call.finished(sentStatus);
        });
        return body;
    }

    /**
     * The hold on the reads of the connection {@code out} went on, for the answer coming on it now;
     * null for a connection of another event loop (its reads are not held from here) or one that is
     * not HTTP/1.1.
     */
    private static UpstreamReads.@Nullable Answer readsOf(HttpClientRequest out) {
        Channel channel = GuardedTransport.channel(out.connection());
        if (channel == null || !channel.eventLoop().inEventLoop()) {
            return null;
        }
        UpstreamReads reads = channel.pipeline().get(UpstreamReads.class);
        return reads == null ? null : reads.current();
    }

    /**
     * A WebSocket: the upgrade request to the upstream, and when it answers 101 accepting the
     * handshake, the two connections joined byte for byte (a 101 that does not accept it is a 502);
     * any other answer is relayed as one.
     */
    private void tunnel(HttpServerRequest request, HttpClientRequest out, UpstreamCall call) {
        out.headers().set(HttpHeaders.CONNECTION, "Upgrade");
        boolean[] timedOut = {false};
        long timer = responseTimer(() -> {
            timedOut[0] = true;
            out.reset(0, new TimeoutException("no answer from the upstream within the upstream_response bound"));
        });
        out.connect().onComplete(answered -> {
            vertx.cancelTimer(timer);
            if (answered.failed()) {
                unanswered(request, call, answered.cause(), timedOut[0], false);
                return;
            }
            HttpClientResponse in = answered.result();
            if (in.statusCode() != 101) {
                relay(request, out, in, call, true); // a GET without a body: all sent
                return;
            }
            if (!acceptsHandshake(request.getHeader("Sec-WebSocket-Key"), in.getHeader("Sec-WebSocket-Accept"))) {
                // a 101 that is no WebSocket's: what follows on that connection would not be frames
                in.netSocket().close();
                unanswered(request, call, new IllegalStateException("101 without the WebSocket accept"), false);
                return;
            }
            call.answered(101);
            HttpServerResponse response = request.response().setStatusCode(101);
            response.headers().addAll(in.headers());
            request.toNetSocket().onComplete(switched -> {
                if (switched.failed()) {
                    in.netSocket().close();
                    call.finished(101);
                    return;
                }
                NetSocket client = switched.result();
                NetSocket upstream = in.netSocket();
                client.pipeTo(upstream);
                upstream.pipeTo(client);
                client.closeHandler(v -> upstream.close());
                upstream.closeHandler(v -> client.close());
                call.finished(101);
            });
        });
        request.resume();
    }

    /** No answer came: the client broke off (nothing counted), or the upstream failed (502, 504). */
    private void unanswered(HttpServerRequest request, UpstreamCall call, Throwable failure, boolean timedOut) {
        unanswered(request, call, failure, timedOut, false);
    }

    private void unanswered(
            HttpServerRequest request, UpstreamCall call, Throwable failure, boolean timedOut, boolean clientBroke) {
        HttpServerResponse response = request.response();
        if (!timedOut && (clientBroke || clientGone(request))) {
            LOG.debug("the client broke off before the upstream answered: {}", failure.toString());
            call.abandoned();
            if (!response.closed() && !response.headWritten()) {
                ErrorStyle.sendText(ErrorStyle.closing(request), 400, "the request body broke off\n");
            }
            return;
        }
        if (failure instanceof ConnectionPoolTooBusyException
                || (!timedOut && failure instanceof TimeoutException && isPoolWait(failure))) {
            // our own queue is full, or no connection came free in time: shed, not the upstream's fault
            call.shed();
            send(UpstreamCall.Refusal.SHED, response);
            call.finished(503);
            request.resume();
            return;
        }
        LOG.debug("upstream {}: {}", timedOut ? "timed out" : "failed", failure.toString());
        int status = timedOut ? 504 : 502;
        call.failed(status);
        answerEmptyOrCut(response, status);
        call.finished(status);
        request.resume(); // a body the upstream will never read is drained, not left in the socket
    }

    /**
     * The upstream's failure as the client sees it: an empty answer of {@code status} (502, 504) when
     * nothing of an answer has gone out yet (true), else the answer begun cut off (false).
     */
    private static boolean answerEmptyOrCut(HttpServerResponse response, int status) {
        if (response.headWritten() || response.closed()) {
            response.reset(CANCEL);
            return false;
        }
        response.headers().clear(); // an answer relayed from its first body bytes had its head readied
        response.setChunked(false)
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                .end();
        return true;
    }

    /** Whether {@code failure} is Vert.x's word that no pooled connection came free in time. */
    private static boolean isPoolWait(Throwable failure) {
        String message = failure.getMessage();
        return message != null && message.contains("getting a connection");
    }

    /** A timer that runs {@code expired} when the upstream's answer head is late, or -1 with the bound off. */
    private long responseTimer(Runnable expired) {
        long limitMillis = millis(timeouts.upstreamResponse());
        return limitMillis <= 0 ? -1 : vertx.setTimer(limitMillis, id -> expired.run());
    }

    /**
     * The request's headers as the upstream gets them: all but the hop-by-hop ones (an upgrade keeps
     * {@code Upgrade}), the forwarding headers, the client's {@code Host}.
     */
    private static void copyHeaders(HttpServerRequest request, HttpClientRequest out, boolean upgrade) {
        MultiMap headers = out.headers();
        copyEndToEnd(request.headers(), headers);
        String upgradeTo = upgrade ? request.getHeader(HttpHeaders.UPGRADE) : null;
        headers.remove(HttpHeaders.EXPECT); // answered here: the upstream sees a plain request
        if (upgradeTo != null) {
            headers.set(HttpHeaders.UPGRADE, upgradeTo);
        }
        HostAndPort authority = request.authority();
        forwarded(
                headers, ClientKeys.address(request), authority == null ? null : authority.toString(), request.isSSL());
        if (authority != null) {
            out.authority(authority); // the client's Host, as Wicket keeps it
        }
    }

    /** Answers {@code refusal}: 503, its text, and {@code Retry-After} when it says when to come back. */
    private static void send(UpstreamCall.Refusal refusal, HttpServerResponse response) {
        if (refusal.retryAfterSeconds() > 0) {
            response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(refusal.retryAfterSeconds()));
        }
        response.putHeader("X-Content-Type-Options", "nosniff");
        ErrorStyle.sendText(response, 503, refusal.text());
    }

    /** Whether the client's side of {@code incoming} is over: its connection (or stream) closed. */
    private static boolean clientGone(HttpServerRequest incoming) {
        return incoming.response().closed() || incoming.connection() == null;
    }

    /**
     * Adds {@code from}'s headers to {@code to} but those of one hop ({@link #isEndToEnd}): one pass
     * over the headers there are, not a removal per name that could be there.
     */
    static void copyEndToEnd(MultiMap from, MultiMap to) {
        Set<String> named =
                from.contains(HttpHeaders.CONNECTION) ? connectionNamed(from.getAll(HttpHeaders.CONNECTION)) : Set.of();
        for (Map.Entry<String, String> header : from) {
            if (isEndToEnd(header.getKey(), named)) {
                to.add(header.getKey(), header.getValue());
            }
        }
    }

    /**
     * Removes from {@code headers} what {@link #copyEndToEnd(MultiMap, MultiMap)} leaves behind: the
     * same headers, in place, for a message that goes on itself.
     */
    static void keepEndToEnd(io.netty.handler.codec.http.HttpHeaders headers) {
        Set<String> named = headers.contains(HttpHeaders.CONNECTION)
                ? connectionNamed(headers.getAll(HttpHeaders.CONNECTION))
                : Set.of();
        List<CharSequence> dropped = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (!isEndToEnd(name, named)) {
                if (dropped == null) {
                    dropped = new ArrayList<>(2);
                }
                dropped.add(name);
            }
        }
        if (dropped != null) {
            for (CharSequence name : dropped) {
                headers.remove(name);
            }
        }
    }

    /**
     * Whether the header {@code name} goes on: not {@link #isHopByHop}, not named by the message's
     * {@code Connection} ({@code named}; but {@code Content-Length}: the body's framing goes on with
     * the body, or the body would be lost), not one of HTTP/2's pseudo-headers (the request line's).
     */
    private static boolean isEndToEnd(CharSequence name, Set<String> named) {
        return (name.isEmpty() || name.charAt(0) != ':')
                && !isHopByHop(name)
                && (named.isEmpty()
                        || !named.contains(name.toString())
                        || AsciiString.contentEqualsIgnoreCase(name, HttpHeaders.CONTENT_LENGTH));
    }

    /**
     * The header names the {@code Connection} header values {@code connection} list, in any case, but
     * those {@link #isHopByHop} drops anyway: most messages' {@code keep-alive} names nothing more.
     */
    private static Set<String> connectionNamed(List<String> connection) {
        return connectionTokens(connection, name -> !isHopByHop(name));
    }

    /** The tokens the {@code Connection} header values {@code connection} list that {@code kept} takes, in any case. */
    private static Set<String> connectionTokens(List<String> connection, Predicate<String> kept) {
        Set<String> tokens = Set.of();
        for (String value : connection) {
            for (String token : value.split(",", -1)) {
                String name = token.trim();
                if (!name.isEmpty() && kept.test(name)) {
                    if (tokens.isEmpty()) {
                        tokens = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                    }
                    tokens.add(name);
                }
            }
        }
        return tokens;
    }

    /**
     * The forwarding headers: the client's address appended to {@code X-Forwarded-For}, its {@code
     * Host} ({@code host}, its text) in {@code X-Forwarded-Host}, its scheme in {@code X-Forwarded-Proto}.
     */
    static void forwarded(MultiMap headers, String client, @Nullable String host, boolean tls) {
        headers.set(
                "X-Forwarded-For",
                headers.contains("X-Forwarded-For")
                        ? String.join(", ", headers.getAll("X-Forwarded-For")) + ", " + client
                        : client);
        if (host != null) {
            headers.set("X-Forwarded-Host", host);
        }
        headers.set("X-Forwarded-Proto", tls ? "https" : "http");
    }

    /**
     * Whether {@code name} (in any case) is a header that describes one connection, never passed on
     * (RFC 9110 7.6.1, and Go's list): Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate,
     * Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, HTTP2-Settings, and Host (set
     * apart). Asked for every header of every call: by length first, then compared.
     */
    static boolean isHopByHop(CharSequence name) {
        return switch (name.length()) {
            case 2 -> is(name, "te");
            case 4 -> is(name, "host");
            case 7 -> is(name, "trailer") || is(name, "upgrade");
            case 10 -> is(name, "connection") || is(name, "keep-alive");
            case 14 -> is(name, "http2-settings");
            case 16 -> is(name, "proxy-connection");
            case 17 -> is(name, "transfer-encoding");
            case 18 -> is(name, "proxy-authenticate");
            case 19 -> is(name, "proxy-authorization");
            default -> false;
        };
    }

    private static boolean is(CharSequence name, String lowerCase) {
        return AsciiString.contentEqualsIgnoreCase(name, lowerCase);
    }

    /** {@code duration} in whole milliseconds, rounded up: a bound below a millisecond stays a bound (0: off). */
    private static int millis(java.time.Duration duration) {
        long nanos = duration.toNanos();
        return nanos <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000);
    }

    /** {@code duration} in whole seconds, rounded up (Vert.x reads 0 as "for ever"). */
    private static int seconds(java.time.Duration duration) {
        long nanos = duration.toNanos();
        return nanos <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999_999) / 1_000_000_000);
    }
}
