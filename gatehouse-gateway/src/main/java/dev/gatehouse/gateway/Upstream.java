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
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy to the upstream, behind the circuit breaker: bodies streamed both ways over a bounded
 * keep-alive pool, hop-by-hop headers dropped, {@code X-Forwarded-For/-Host/-Proto} set, WebSocket
 * upgrades passed through. An upstream that cannot be reached is a 502, one that does not answer
 * within {@code upstream_response} a 504; both, and every answer of 500 or more, count as breaker
 * failures. An open breaker answers 503 {@code service temporarily unavailable}, as Wicket does,
 * and so does the adaptive limit when it sheds (with {@code Retry-After}); it is fed every call's
 * upstream latency.
 */
final class Upstream implements Handler<HttpServerRequest>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

    static final String BREAKER_OPEN = "service temporarily unavailable\n";

    private static final MediaType PLAIN_TEXT = MediaType.parse(ErrorStyle.PLAIN_TEXT.toString());

    private static final String PERMIT = "gatehouse.permit";
    private static final String STARTED = "gatehouse.started";
    private static final String TIMED_OUT = "gatehouse.timedOut";
    private static final String OUTCOME = "gatehouse.outcome";
    private static final String SPAN = "gatehouse.span";
    private static final String CALL_SPAN = "gatehouse.callSpan";

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
        proxy.handle(request);
    }

    @Override
    public void close() {
        client.close();
    }

    /** A connection to the upstream for one request, reset when its answer's head is late. */
    private Future<HttpClientRequest> origin(ProxyContext context) {
        RequestOptions options =
                new RequestOptions().setHost(host).setPort(port).setSsl(tls);
        HttpServerRequest incoming = context.request().proxiedRequest();
        return context.client().request(options).onSuccess(request -> {
            // a reset (the client went away, its body broke) is answered by the stage; not Vert.x's ERROR
            request.exceptionHandler(failure -> LOG.debug("upstream request ended: {}", failure.toString()));
            if (clientGone(incoming)) { // while the connection to the upstream was being made
                request.reset(0, new HttpClosedException("the client went away"));
                return;
            }
            incoming.response()
                    .closeHandler(closed -> request.reset(0, new HttpClosedException("the client went away")));
            long limitMillis = millis(timeouts.upstreamResponse());
            if (limitMillis <= 0) {
                return;
            }
            long timer = vertx.setTimer(limitMillis, id -> {
                context.set(TIMED_OUT, true);
                request.reset(0, new TimeoutException("no answer from the upstream within " + limitMillis + " ms"));
            });
            request.response().onComplete(answered -> vertx.cancelTimer(timer));
        });
    }

    /** The breaker around each call, the forwarding headers, and the outcome's count. */
    private final class Stage implements ProxyInterceptor {

        @Override
        public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
            ProxyRequest request = context.request();
            Span span = tracing.isPresent() ? GatewayTracing.current() : null;
            if (span != null) {
                context.set(SPAN, span);
            }
            Optional<CircuitBreaker> breaker = policy.current().breaker(); // the one this call reports to
            Span breakerStage = breaker.isPresent() ? stage(span, "gatehouse.breaker") : null;
            long permit = breaker.map(CircuitBreaker::tryAcquire).orElse(0L);
            end(breakerStage);
            context.set(STARTED, clock.nowNanos());
            if (permit == CircuitBreaker.REJECTED) {
                context.set(OUTCOME, Outcome.BREAKER_OPEN);
                ProxyResponse refusal = request.release().response().setStatusCode(503);
                long retryNanos =
                        breaker.map(b -> b.metrics().nanosUntilProbe()).orElse(0L);
                if (retryNanos > 0) {
                    refusal.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(ceilSeconds(retryNanos)));
                }
                return Future.succeededFuture(text(refusal, BREAKER_OPEN));
            }
            Optional<AdaptiveLimiter> adaptive = policy.current().adaptive();
            Span adaptiveStage = adaptive.isPresent() ? stage(span, "gatehouse.adaptive") : null;
            long slot = adaptive.map(AdaptiveLimiter::tryAcquire).orElse(0L);
            end(adaptiveStage);
            if (slot == AdaptiveLimiter.REJECTED) { // shed: the upstream has as many calls as it can take
                breaker.ifPresent(b -> b.release(permit));
                context.set(OUTCOME, Outcome.SHED);
                ProxyResponse refusal = request.release().response().setStatusCode(503);
                refusal.putHeader(HttpHeaders.RETRY_AFTER, "1");
                return Future.succeededFuture(text(refusal, BREAKER_OPEN));
            }
            context.set(PERMIT, permit);
            forward(request);
            if (span != null) {
                context.set(CALL_SPAN, tracing.orElseThrow().upstreamCall(span, request.headers()));
            }
            return context.sendRequest()
                    .map(response -> {
                        int status = response.getStatusCode();
                        endCall(context, status);
                        breaker.ifPresent(b -> b.onStatus(permit, elapsed(context), status));
                        if (status >= 500) {
                            adaptive.ifPresent(a -> a.onDropped(slot, elapsed(context)));
                        } else {
                            adaptive.ifPresent(a -> a.onSuccess(slot, elapsed(context)));
                        }
                        context.set(OUTCOME, status >= 500 ? Outcome.BACKEND_ERROR : Outcome.ADMITTED);
                        return response;
                    })
                    .recover(failure -> {
                        endCall(context, 499); // nginx's code for a client gone, or the failure's below
                        if (clientGone(request.proxiedRequest())) {
                            // the client broke off (went away, sent a bad body): no fault of the upstream's
                            breaker.ifPresent(b -> b.release(permit));
                            adaptive.ifPresent(a -> a.onIgnored(slot));
                            LOG.debug("client gone before the upstream answered: {}", failure.toString());
                            return Future.failedFuture(failure);
                        }
                        breaker.ifPresent(b -> b.onFailure(permit, elapsed(context)));
                        adaptive.ifPresent(a -> a.onDropped(slot, elapsed(context)));
                        context.set(OUTCOME, Outcome.BACKEND_ERROR);
                        boolean timedOut = Boolean.TRUE.equals(context.get(TIMED_OUT, Boolean.class));
                        LOG.debug("upstream {}: {}", timedOut ? "timed out" : "failed", failure.toString());
                        return Future.succeededFuture(request.release()
                                .response()
                                .setStatusCode(timedOut ? 504 : 502)
                                .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                                .setBody(null));
                    });
        }

        @Override
        public Future<Void> handleProxyResponse(ProxyContext context) {
            if (context.response().getStatusCode() != 101) { // a switch keeps Connection and Upgrade for its client
                dropHopByHop(context.response().headers());
            }
            Outcome outcome = context.get(OUTCOME, Outcome.class);
            Long started = context.get(STARTED, Long.class);
            Span span = context.get(SPAN, Span.class);
            int status = context.response().getStatusCode();
            return context.sendResponse().andThen(sent -> {
                if (outcome != null && started != null) {
                    metrics.request(outcome, clock.nowNanos() - started);
                }
                if (span != null) {
                    GatewayTracing.end(span, status, outcome == null ? "" : outcome.label());
                }
            });
        }

        private @Nullable Span stage(@Nullable Span request, String name) {
            return request == null ? null : tracing.orElseThrow().stage(request, name);
        }

        private void end(@Nullable Span stage) {
            if (stage != null) {
                stage.end();
            }
        }

        /** Ends the span of the call to the upstream, if one is traced, with the status it came to. */
        private void endCall(ProxyContext context, int status) {
            Span call = context.get(CALL_SPAN, Span.class);
            if (call != null) {
                GatewayTracing.end(call, status, "");
                context.set(CALL_SPAN, null);
            }
        }

        private long elapsed(ProxyContext context) {
            Long started = context.get(STARTED, Long.class);
            return started == null ? 0 : clock.nowNanos() - started;
        }
    }

    /** Whether the client's side of {@code incoming} is over: its connection (or stream) closed. */
    private static boolean clientGone(HttpServerRequest incoming) {
        return incoming.response().closed() || incoming.connection() == null;
    }

    /**
     * Drops the hop-by-hop headers the proxy keeps: those {@code Connection} names (and it), and the
     * obsolete {@code Proxy-Connection} and the h2c upgrade's {@code HTTP2-Settings}.
     */
    static void dropHopByHop(MultiMap headers) {
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
        headers.remove(HttpHeaders.CONNECTION);
        headers.remove("Proxy-Connection");
        headers.remove("HTTP2-Settings");
    }

    /**
     * The request as the upstream gets it: headers the client named in {@code Connection} dropped
     * (the other hop-by-hop ones the proxy drops itself), the client's address appended to {@code
     * X-Forwarded-For}, its {@code Host} kept (as Wicket keeps it) and also in {@code
     * X-Forwarded-Host}, its scheme in {@code X-Forwarded-Proto}, the path under the upstream's.
     */
    private void forward(ProxyRequest request) {
        HttpServerRequest incoming = request.proxiedRequest();
        MultiMap headers = request.headers();
        boolean upgrade = headers.contains(HttpHeaders.UPGRADE);
        dropHopByHop(headers);
        if (upgrade) {
            headers.set(HttpHeaders.CONNECTION, "Upgrade"); // kept for a WebSocket: the proxy passes it on
        }
        List<String> prior = headers.getAll("X-Forwarded-For");
        String client = ClientKeys.address(incoming);
        headers.set("X-Forwarded-For", prior.isEmpty() ? client : String.join(", ", prior) + ", " + client);
        HostAndPort authority = incoming.authority();
        if (authority != null) {
            request.setAuthority(authority);
            headers.set("X-Forwarded-Host", authority.toString());
        }
        headers.set("X-Forwarded-Proto", incoming.isSSL() ? "https" : "http");
        if (!basePath.isEmpty()) {
            request.setURI(basePath + request.getURI()); // an origin-form target: GatewaySurface refused the others
        }
        if (incoming.version() == HttpVersion.HTTP_2
                && !incoming.isEnded()
                && !incoming.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            // an HTTP/2 body of unknown length goes on chunked (the proxy decides so from these headers)
            incoming.headers().set(HttpHeaders.TRANSFER_ENCODING, "chunked");
        }
    }

    private static ProxyResponse text(ProxyResponse response, String text) {
        return response.putHeader("X-Content-Type-Options", "nosniff")
                .setBody(Body.body(Buffer.buffer(text), PLAIN_TEXT));
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
