package dev.gatehouse.gateway;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.gateway.config.GatewayConfig.Timeouts;
import dev.gatehouse.http.ClientText;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.GuardedTransport;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
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
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
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

    /*
     * Straight on Vert.x's HTTP client, not vertx-http-proxy: measured, the library cost a quarter of
     * the requests a second (a copy and re-validation of every header, a parse of the upstream's Date
     * for its cache logic; docs/benchmarks.md), buffered whole answers for HTTP/1.0 clients, and threw
     * on a refused WebSocket upgrade. Each call is accounted once (Call).
     */

    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

    static final String BREAKER_OPEN = "service temporarily unavailable\n";

    /** Methods whose HTTP/2 request without a length has no body. */
    private static final Set<HttpMethod> BODILESS =
            Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.DELETE, HttpMethod.TRACE);

    /** Headers that describe one connection, never passed on (RFC 9110 7.6.1, and Go's list). */
    private static final Set<String> HOP_BY_HOP = lowercase(
            "connection",
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "http2-settings",
            "host");

    /** The dial bound with upstream_dial off: Go's default transport's, as Wicket falls back to it. */
    private static final int GO_DIAL_MILLIS = 30_000;

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
        this.waitMillis = timeouts.upstreamDial().isZero() ? GO_DIAL_MILLIS : millis(timeouts.upstreamDial());
    }

    @Override
    public void handle(HttpServerRequest request) {
        String expect = request.getHeader(HttpHeaders.EXPECT);
        if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            ErrorStyle.sendText(
                    request.response().putHeader(HttpHeaders.CONNECTION, "close"),
                    417,
                    "Expect: only 100-continue is met\n");
            return;
        }
        Call call = new Call();
        Refusal refusal = call.begin();
        if (refusal != null) {
            refusal.send(request.response());
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
        (upgrade ? tunnels : client).request(options).onComplete(opened -> {
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
                        request.response().putHeader(HttpHeaders.CONNECTION, "close"),
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
                    if (!GuardedTransport.flushOncePerTurn(connection)) {
                        LOG.debug("upstream connection {} flushes at every write", connection);
                    }
                })
                .build();
    }

    @Override
    public void close() {
        client.close();
        tunnels.close();
    }

    /**
     * The request's head and body to the upstream; the answer back once its head came. The answer's
     * deadline runs from when the request was all sent, as Go's response-header timeout does, so a
     * slow upload is the client's time, not the upstream's.
     */
    private void forward(HttpServerRequest request, HttpClientRequest out, Call call) {
        boolean[] timedOut = {false};
        long[] timer = {-1};
        boolean[] clientBroke = {false};
        out.response().onComplete(answered -> {
            vertx.cancelTimer(timer[0]);
            if (answered.failed()) {
                unanswered(request, call, answered.cause(), timedOut[0], clientBroke[0]);
            } else {
                relay(request, out, answered.result(), call);
            }
        });
        Runnable sent = () -> timer[0] = responseTimer(() -> {
            timedOut[0] = true;
            out.reset(0, new TimeoutException("no answer from the upstream within the upstream_response bound"));
        });
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
                out.reset();
            }
        });
    }

    /**
     * Whether {@code request} asks to switch protocols: an HTTP/1.1 GET without a body whose {@code
     * Connection} names {@code Upgrade}. Any other {@code Upgrade} header is dropped and the request
     * proxied as it is.
     */
    private static boolean isUpgrade(HttpServerRequest request) {
        return request.version() == HttpVersion.HTTP_1_1
                && request.method().equals(HttpMethod.GET)
                && request.headers().contains(HttpHeaders.UPGRADE)
                && request.headers().contains(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE, true)
                && !hasBody(request);
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

    /** Sends the upstream's answer on: status, headers but the hop-by-hop ones, the body piped. */
    private void relay(HttpServerRequest request, HttpClientRequest out, HttpClientResponse in, Call call) {
        int status = in.statusCode();
        if (status < 200) { // an interim answer (102, or a 101 nobody asked for) in place of the answer
            in.exceptionHandler(failure -> LOG.debug("interim answer dropped: {}", failure.toString()));
            out.reset();
            unanswered(request, call, new IllegalStateException("the upstream answered " + status), false, false);
            return;
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
        in.pipe().endOnFailure(false).to(response).onComplete(sent -> {
            if (sent.failed()) { // the upstream broke off mid-answer, or the client went away: never a whole answer
                response.reset();
                out.reset();
            } else if (endsWithConnection) {
                request.connection().close(); // even for a keep-alive 1.0 client: the close is the body's end
            }
            call.finished(status);
        });
    }

    /**
     * A WebSocket (or another protocol switch): the upgrade request to the upstream, and when it
     * answers 101, the two connections joined byte for byte; any other answer is relayed as one.
     */
    private void tunnel(HttpServerRequest request, HttpClientRequest out, Call call) {
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
                relay(request, out, in, call);
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
    private void unanswered(HttpServerRequest request, Call call, Throwable failure, boolean timedOut) {
        unanswered(request, call, failure, timedOut, false);
    }

    private void unanswered(
            HttpServerRequest request, Call call, Throwable failure, boolean timedOut, boolean clientBroke) {
        HttpServerResponse response = request.response();
        if (!timedOut && (clientBroke || clientGone(request))) {
            LOG.debug("the client broke off before the upstream answered: {}", failure.toString());
            call.abandoned();
            if (!response.closed() && !response.headWritten()) {
                ErrorStyle.sendText(
                        response.putHeader(HttpHeaders.CONNECTION, "close"), 400, "the request body broke off\n");
            }
            return;
        }
        if (failure instanceof ConnectionPoolTooBusyException
                || (!timedOut && failure instanceof TimeoutException && isPoolWait(failure))) {
            // our own queue is full, or no connection came free in time: shed, not the upstream's fault
            call.shed();
            Refusal.SHED.send(response);
            call.finished(503);
            request.resume();
            return;
        }
        LOG.debug("upstream {}: {}", timedOut ? "timed out" : "failed", failure.toString());
        int status = timedOut ? 504 : 502;
        call.failed(status);
        if (!response.headWritten() && !response.closed()) {
            response.setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                    .end();
        } else {
            response.reset();
        }
        call.finished(status);
        request.resume(); // a body the upstream will never read is drained, not left in the socket
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
        forwarded(request, headers);
        HostAndPort authority = request.authority();
        if (authority != null) {
            out.authority(authority); // the client's Host, as Wicket keeps it
        }
    }

    // ---------------------------------------------------------------------------------------------
    // What both paths share

    /** An answer the gateway gives instead of calling the upstream. */
    private record Refusal(String text, long retryAfterSeconds) {

        /** Shed: the upstream has as many calls as it can take, come back in a second. */
        static final Refusal SHED = new Refusal(BREAKER_OPEN, 1);

        void send(HttpServerResponse response) {
            if (retryAfterSeconds > 0) {
                response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds));
            }
            response.putHeader("X-Content-Type-Options", "nosniff");
            ErrorStyle.sendText(response, 503, text);
        }
    }

    /**
     * One call to the upstream, accounted once whatever path it takes: the breaker's permit and the
     * adaptive limit's slot (taken from the policy in force when it began, and reported back to the
     * same instances), the spans, and the outcome's count.
     */
    private final class Call {

        private final long startedNanos = clock.nowNanos();
        private final @Nullable Span span = tracing.isPresent() ? GatewayTracing.current() : null;
        private final Optional<CircuitBreaker> breaker;
        private final Optional<AdaptiveLimiter> adaptive;
        private long permit;
        private long slot;
        private @Nullable Span callSpan;
        private @Nullable Outcome outcome;

        Call() {
            LivePolicy.Policy now = policy.current();
            this.breaker = now.breaker();
            this.adaptive = now.adaptive();
        }

        /** Takes a permit and a slot; a refusal when the breaker is open or the limit is reached. */
        @Nullable
        Refusal begin() {
            Span breakerStage = breaker.isPresent() ? stage("gatehouse.breaker") : null;
            permit = breaker.map(CircuitBreaker::tryAcquire).orElse(0L);
            end(breakerStage);
            if (permit == CircuitBreaker.REJECTED) {
                outcome = Outcome.BREAKER_OPEN;
                long retryNanos =
                        breaker.map(b -> b.metrics().nanosUntilProbe()).orElse(0L);
                return new Refusal(BREAKER_OPEN, retryNanos > 0 ? ceilSeconds(retryNanos) : 0);
            }
            Span adaptiveStage = adaptive.isPresent() ? stage("gatehouse.adaptive") : null;
            slot = adaptive.map(AdaptiveLimiter::tryAcquire).orElse(0L);
            end(adaptiveStage);
            if (slot == AdaptiveLimiter.REJECTED) { // shed: the upstream has as many calls as it can take
                breaker.ifPresent(b -> b.release(permit));
                outcome = Outcome.SHED;
                return Refusal.SHED;
            }
            return null;
        }

        /** The call was shed after all (no connection free in time): nothing counted but the shed. */
        void shed() {
            endCallSpan(503);
            breaker.ifPresent(b -> b.release(permit));
            adaptive.ifPresent(a -> a.onIgnored(slot));
            outcome = Outcome.SHED;
        }

        /** The call goes out with {@code headers}: traced, its context replaces the caller's there. */
        void traced(MultiMap headers) {
            if (span != null) {
                callSpan = tracing.orElseThrow().upstreamCall(span, headers);
            }
        }

        /** The upstream answered {@code status}: 500 and above are failures. */
        void answered(int status) {
            long elapsed = clock.nowNanos() - startedNanos;
            endCallSpan(status);
            breaker.ifPresent(b -> b.onStatus(permit, elapsed, status));
            if (status >= 500) {
                adaptive.ifPresent(a -> a.onDropped(slot, elapsed));
            } else {
                adaptive.ifPresent(a -> a.onSuccess(slot, elapsed));
            }
            outcome = status >= 500 ? Outcome.BACKEND_ERROR : Outcome.ADMITTED;
        }

        /** The upstream could not be reached or did not answer in time ({@code status} 502 or 504). */
        void failed(int status) {
            long elapsed = clock.nowNanos() - startedNanos;
            endCallSpan(status);
            breaker.ifPresent(b -> b.onFailure(permit, elapsed));
            adaptive.ifPresent(a -> a.onDropped(slot, elapsed));
            outcome = Outcome.BACKEND_ERROR;
        }

        /** The client broke off (went away, sent a bad body): no fault of the upstream's, nothing counted. */
        void abandoned() {
            endCallSpan(499); // nginx's code for a client gone
            breaker.ifPresent(b -> b.release(permit));
            adaptive.ifPresent(a -> a.onIgnored(slot));
            if (span != null) {
                GatewayTracing.end(span, 499, "");
            }
        }

        /** The answer ({@code status}) was sent: counted, and the request's span ended. */
        void finished(int status) {
            if (outcome != null) {
                metrics.request(outcome, clock.nowNanos() - startedNanos);
            }
            if (span != null) {
                GatewayTracing.end(span, status, outcome == null ? "" : outcome.label());
            }
        }

        private @Nullable Span stage(String name) {
            return span == null ? null : tracing.orElseThrow().stage(span, name);
        }

        private void end(@Nullable Span stage) {
            if (stage != null) {
                stage.end();
            }
        }

        private void endCallSpan(int status) {
            if (callSpan != null) {
                GatewayTracing.end(callSpan, status, "");
                callSpan = null;
            }
        }
    }

    /** Whether the client's side of {@code incoming} is over: its connection (or stream) closed. */
    private static boolean clientGone(HttpServerRequest incoming) {
        return incoming.response().closed() || incoming.connection() == null;
    }

    /**
     * Adds {@code from}'s headers to {@code to} but those of one hop: {@link #HOP_BY_HOP}, those its
     * {@code Connection} headers name, and HTTP/2's pseudo-headers (the request line's). One pass
     * over the headers there are, not a removal per name that could be there.
     */
    static void copyEndToEnd(MultiMap from, MultiMap to) {
        Set<String> named = from.contains(HttpHeaders.CONNECTION) ? connectionNamed(from) : Set.of();
        for (Map.Entry<String, String> header : from) {
            String name = header.getKey();
            if (!name.startsWith(":") && !HOP_BY_HOP.contains(name) && !named.contains(name)) {
                to.add(name, header.getValue());
            }
        }
    }

    /** The header names the {@code Connection} headers of {@code headers} list, in any case. */
    private static Set<String> connectionNamed(MultiMap headers) {
        Set<String> named = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String connection : headers.getAll(HttpHeaders.CONNECTION)) {
            for (String name : connection.split(",", -1)) {
                if (!name.isBlank()) {
                    named.add(name.trim());
                }
            }
        }
        return named;
    }

    /**
     * The forwarding headers: the client's address appended to {@code X-Forwarded-For}, its {@code
     * Host} in {@code X-Forwarded-Host}, its scheme in {@code X-Forwarded-Proto}.
     */
    private static void forwarded(HttpServerRequest incoming, MultiMap headers) {
        List<String> prior = headers.getAll("X-Forwarded-For");
        String client = ClientKeys.address(incoming);
        headers.set("X-Forwarded-For", prior.isEmpty() ? client : String.join(", ", prior) + ", " + client);
        HostAndPort authority = incoming.authority();
        if (authority != null) {
            headers.set("X-Forwarded-Host", authority.toString());
        }
        headers.set("X-Forwarded-Proto", incoming.isSSL() ? "https" : "http");
    }

    private static Set<String> lowercase(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(List.of(names));
        return set;
    }

    static long ceilSeconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
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
