package dev.gatehouse.gateway;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.gateway.config.GatewayConfig.Timeouts;
import dev.gatehouse.http.ErrorStyle;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.MediaType;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyRequest;
import io.vertx.httpproxy.ProxyResponse;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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
     * Two paths, one accounting (Call). Plain HTTP/1.1 and HTTP/2 requests, nearly all the traffic,
     * go straight through Vert.x's client: headers copied once, bodies piped (measured: about a
     * quarter more requests a second than the proxy library's path, docs/benchmarks.md). Upgrades
     * (WebSockets) and HTTP/1.0 go through vertx-http-proxy, which switches protocols and speaks to
     * a 1.0 client without chunking.
     */

    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

    static final String BREAKER_OPEN = "service temporarily unavailable\n";

    private static final MediaType PLAIN_TEXT = MediaType.parse(ErrorStyle.PLAIN_TEXT.toString());

    /** The proxy library's attachment holding a call's accounting. */
    private static final String CALL = "gatehouse.call";

    private static final String TIMED_OUT = "gatehouse.timedOut";

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
    private final HttpProxy proxy;
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
        this.client = vertx.createHttpClient(options, pool);
        this.proxy = HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(true), client)
                .origin(this::origin)
                .addInterceptor(new Stage(), true);
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_1_0 || request.headers().contains(HttpHeaders.UPGRADE)) {
            proxy.handle(request);
        } else {
            send(request);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    // ---------------------------------------------------------------------------------------------
    // The direct path

    private void send(HttpServerRequest request) {
        Call call = new Call();
        Refusal refusal = call.begin();
        if (refusal != null) {
            refusal.send(request.response());
            call.finished(503);
            return;
        }
        request.pause();
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(host)
                .setPort(port)
                .setSsl(tls)
                .setURI(basePath + request.uri()); // an origin-form target: GatewaySurface refused the others
        client.request(options).onComplete(opened -> {
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
            MultiMap headers = out.headers();
            for (Map.Entry<String, String> header : request.headers()) {
                if (!header.getKey().startsWith(":")) { // HTTP/2's pseudo-headers are the request line's
                    headers.add(header.getKey(), header.getValue());
                }
            }
            dropHopByHop(headers, HOP_BY_HOP);
            forwarded(request, headers);
            HostAndPort authority = request.authority();
            if (authority != null) {
                out.authority(authority); // the client's Host, as Wicket keeps it
            }
            call.traced(headers);
            String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
            if (length == null && !request.isEnded()) {
                out.setChunked(true); // a body of unknown length (chunked, or HTTP/2 without a length)
            }
            boolean[] timedOut = {false};
            long timer = responseTimer(() -> {
                timedOut[0] = true;
                out.reset(0, new TimeoutException("no answer from the upstream within the upstream_response bound"));
            });
            out.response().onComplete(answered -> {
                vertx.cancelTimer(timer);
                if (answered.failed()) {
                    unanswered(request, call, answered.cause(), timedOut[0]);
                } else {
                    relay(request, out, answered.result(), call);
                }
            });
            if (request.isEnded()) {
                out.end();
            } else {
                request.pipe().endOnFailure(false).to(out).onFailure(broken -> out.reset());
            }
        });
    }

    /** Sends the upstream's answer on: status, headers but the hop-by-hop ones, the body piped. */
    private void relay(HttpServerRequest request, HttpClientRequest out, HttpClientResponse in, Call call) {
        int status = in.statusCode();
        call.answered(status);
        HttpServerResponse response = request.response();
        response.setStatusCode(status);
        if (in.statusMessage() != null) {
            response.setStatusMessage(in.statusMessage());
        }
        MultiMap headers = response.headers();
        for (Map.Entry<String, String> header : in.headers()) {
            headers.add(header.getKey(), header.getValue());
        }
        dropHopByHop(headers, HOP_BY_HOP);
        if (!headers.contains(HttpHeaders.CONTENT_LENGTH) && request.version() == HttpVersion.HTTP_1_1) {
            response.setChunked(true);
        }
        in.pipeTo(response).onComplete(sent -> {
            if (sent.failed()) {
                out.reset(); // the client went away mid-answer: the upstream stops sending
            }
            call.finished(status);
        });
    }

    /** No answer came: the client broke off (nothing counted), or the upstream failed (502, 504). */
    private void unanswered(HttpServerRequest request, Call call, Throwable failure, boolean timedOut) {
        if (!timedOut && clientGone(request)) {
            LOG.debug("client gone before the upstream answered: {}", failure.toString());
            call.abandoned();
            return;
        }
        LOG.debug("upstream {}: {}", timedOut ? "timed out" : "failed", failure.toString());
        int status = timedOut ? 504 : 502;
        call.failed(status);
        HttpServerResponse response = request.response();
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

    /** A timer that runs {@code expired} when the upstream's answer head is late, or -1 with the bound off. */
    private long responseTimer(Runnable expired) {
        long limitMillis = millis(timeouts.upstreamResponse());
        return limitMillis <= 0 ? -1 : vertx.setTimer(limitMillis, id -> expired.run());
    }

    // ---------------------------------------------------------------------------------------------
    // The proxy library's path: upgrades and HTTP/1.0

    /** A connection to the upstream for one request, reset when its answer's head is late. */
    private Future<HttpClientRequest> origin(ProxyContext context) {
        RequestOptions options =
                new RequestOptions().setHost(host).setPort(port).setSsl(tls);
        HttpServerRequest incoming = context.request().proxiedRequest();
        return context.client().request(options).onSuccess(request -> {
            request.exceptionHandler(failure -> LOG.debug("upstream request ended: {}", failure.toString()));
            if (clientGone(incoming)) { // while the connection to the upstream was being made
                request.reset(0, new HttpClosedException("the client went away"));
                return;
            }
            incoming.response()
                    .closeHandler(closed -> request.reset(0, new HttpClosedException("the client went away")));
            long timer = responseTimer(() -> {
                context.set(TIMED_OUT, true);
                request.reset(
                        0, new TimeoutException("no answer from the upstream within the upstream_response bound"));
            });
            request.response().onComplete(answered -> vertx.cancelTimer(timer));
        });
    }

    /** The pipeline's last stages around each call of the library's path. */
    private final class Stage implements ProxyInterceptor {

        @Override
        public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
            ProxyRequest request = context.request();
            Call call = new Call();
            context.set(CALL, call);
            Refusal refusal = call.begin();
            if (refusal != null) {
                return Future.succeededFuture(refusal.proxied(request.release().response()));
            }
            HttpServerRequest incoming = request.proxiedRequest();
            MultiMap headers = request.headers();
            boolean upgrade = headers.contains(HttpHeaders.UPGRADE);
            dropHopByHop(headers, Set.of("connection", "proxy-connection", "http2-settings"));
            if (upgrade) {
                headers.set(HttpHeaders.CONNECTION, "Upgrade"); // kept for a WebSocket: the library passes it on
            }
            forwarded(incoming, headers);
            HostAndPort authority = incoming.authority();
            if (authority != null) {
                request.setAuthority(authority);
            }
            if (!basePath.isEmpty()) {
                request.setURI(basePath + request.getURI());
            }
            call.traced(headers);
            return context.sendRequest()
                    .map(response -> {
                        call.answered(response.getStatusCode());
                        return response;
                    })
                    .recover(failure -> {
                        boolean timedOut = Boolean.TRUE.equals(context.get(TIMED_OUT, Boolean.class));
                        if (!timedOut && clientGone(incoming)) {
                            call.abandoned();
                            return Future.failedFuture(failure);
                        }
                        int status = timedOut ? 504 : 502;
                        call.failed(status);
                        return Future.succeededFuture(request.release()
                                .response()
                                .setStatusCode(status)
                                .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                                .setBody(null));
                    });
        }

        @Override
        public Future<Void> handleProxyResponse(ProxyContext context) {
            int status = context.response().getStatusCode();
            if (status != 101) { // a switch keeps Connection and Upgrade for its client
                dropHopByHop(context.response().headers(), Set.of("connection", "proxy-connection"));
            }
            Call call = context.get(CALL, Call.class);
            return context.sendResponse().andThen(sent -> {
                if (call != null) {
                    call.finished(status);
                }
            });
        }
    }

    // ---------------------------------------------------------------------------------------------
    // What both paths share

    /** An answer the gateway gives instead of calling the upstream. */
    private record Refusal(String text, long retryAfterSeconds) {

        void send(HttpServerResponse response) {
            if (retryAfterSeconds > 0) {
                response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds));
            }
            response.putHeader("X-Content-Type-Options", "nosniff");
            ErrorStyle.sendText(response, 503, text);
        }

        ProxyResponse proxied(ProxyResponse response) {
            if (retryAfterSeconds > 0) {
                response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds));
            }
            return response.setStatusCode(503)
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .setBody(Body.body(Buffer.buffer(text), PLAIN_TEXT));
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
                return new Refusal(BREAKER_OPEN, 1);
            }
            return null;
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
     * Drops from {@code headers} the hop-by-hop ones: every name {@code always} holds (lowercase),
     * and every name a {@code Connection} header lists (but {@code Upgrade}, which a switch needs).
     */
    static void dropHopByHop(MultiMap headers, Set<String> always) {
        for (String connection : headers.getAll(HttpHeaders.CONNECTION)) {
            int start = 0;
            while (start <= connection.length()) {
                int comma = connection.indexOf(',', start);
                int end = comma < 0 ? connection.length() : comma;
                String name = connection.substring(start, end).trim();
                start = end + 1;
                if (!name.isEmpty() && !name.equalsIgnoreCase("upgrade")) {
                    headers.remove(name);
                }
            }
        }
        for (String name : always) {
            headers.remove(name);
        }
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

    private static int millis(java.time.Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
    }

    private static int seconds(java.time.Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toSeconds(duration.toNanos()));
    }
}
