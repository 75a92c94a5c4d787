package dev.gatehouse.gateway;

import dev.gatehouse.gateway.config.GatewayConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.spi.context.storage.ContextLocal;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * OpenTelemetry tracing of proxied requests, exported over OTLP/HTTP: a server span per request
 * (its parent the caller's {@code traceparent}), a child span per pipeline stage it passes through
 * (admission cookie, rate limit, breaker, adaptive limit) and a client span for the call to the
 * upstream, whose context the upstream gets in {@code traceparent}. Sampling follows Wicket's
 * {@code sampling_ratio}: 0 is 1% (parent-based), 1 and above every request, below 0 none.
 */
final class GatewayTracing implements AutoCloseable {

    /**
     * The request's span, kept on the request's own Vert.x context so that the proxy's stages find
     * it; registered when this class loads, before the gateway's Vert.x is made.
     */
    static final ContextLocal<Span> REQUEST_SPAN = ContextLocal.registerLocal(Span.class);

    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("gatehouse.outcome");
    private static final long SHUTDOWN_MILLIS = 5_000;

    private static final TextMapGetter<MultiMap> HEADERS = new TextMapGetter<>() {
        @Override
        public @Nullable String get(@Nullable MultiMap carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private GatewayTracing(SdkTracerProvider provider) {
        this.provider = provider;
        this.tracer = provider.get("dev.gatehouse.gateway");
    }

    /** The tracing {@code config} asks for: exporting to its endpoint, sampled as Wicket samples. */
    static GatewayTracing start(GatewayConfig.Tracing config) {
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(tracesUrl(config.otlpHttpEndpoint()))
                .setTimeout(Duration.ofSeconds(10))
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault()
                        .merge(Resource.create(
                                Attributes.of(AttributeKey.stringKey("service.name"), config.serviceName()))))
                .setSampler(sampler(config.samplingRatio()))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
                .build();
        return new GatewayTracing(provider);
    }

    /** Wicket's reading of {@code sampling_ratio}. */
    static Sampler sampler(double ratio) {
        if (ratio < 0) {
            return Sampler.alwaysOff();
        }
        if (ratio >= 1) {
            return Sampler.parentBased(Sampler.alwaysOn());
        }
        return Sampler.parentBased(Sampler.traceIdRatioBased(ratio == 0 ? 0.01 : ratio));
    }

    /** The OTLP/HTTP traces URL of {@code endpoint}: {@code /v1/traces} unless it names a path. */
    static String tracesUrl(String endpoint) {
        String path = URI.create(endpoint).getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return endpoint.replaceAll("/+$", "") + "/v1/traces";
        }
        return endpoint;
    }

    /** Starts {@code request}'s span, its parent the caller's context, and keeps it on the request's context. */
    Span begin(HttpServerRequest request) {
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), request.headers(), HEADERS);
        String path = request.path();
        Span span = tracer.spanBuilder("gatehouse.request")
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, request.method().name())
                .setAttribute(PATH, path == null ? "" : path)
                .startSpan();
        io.vertx.core.Context context = Vertx.currentContext();
        if (context != null) {
            context.putLocal(REQUEST_SPAN, span);
        }
        return span;
    }

    /** The span of the request being handled on this thread's context, if one was begun. */
    static @Nullable Span current() {
        io.vertx.core.Context context = Vertx.currentContext();
        return context == null ? null : context.getLocal(REQUEST_SPAN);
    }

    /** A span for one stage of the pipeline, under {@code request}'s span; the caller ends it. */
    Span stage(Span request, String name) {
        return tracer.spanBuilder(name).setParent(Context.root().with(request)).startSpan();
    }

    /** The call to the upstream, under {@code request}'s span; its context goes into {@code headers}. */
    Span upstreamCall(Span request, MultiMap headers) {
        Span call = tracer.spanBuilder("gatehouse.upstream")
                .setParent(Context.root().with(request))
                .setSpanKind(SpanKind.CLIENT)
                .startSpan();
        headers.remove("traceparent");
        headers.remove("tracestate");
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(call), headers, (carrier, key, value) -> {
            if (carrier != null) {
                carrier.set(key, value);
            }
        });
        return call;
    }

    /** Ends {@code span} with the answer's status (an error from 500) and the pipeline's outcome. */
    static void end(Span span, int status, String outcome) {
        span.setAttribute(STATUS, status);
        span.setAttribute(OUTCOME, outcome);
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    @Override
    public void close() {
        provider.shutdown().join(SHUTDOWN_MILLIS, TimeUnit.MILLISECONDS);
    }
}
