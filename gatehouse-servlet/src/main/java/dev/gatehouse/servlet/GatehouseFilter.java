package dev.gatehouse.servlet;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.gate.AdmissionGate;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Gatehouse in front of a servlet application: an {@link AdmissionGate} (limits per path prefix and
 * client key, a circuit breaker) judges each request; a refusal is answered here (429 or 503, text,
 * with {@code RateLimit}, {@code RateLimit-Policy} and {@code Retry-After}), and a request let
 * through reports its end to the gate once its answer is done (an asynchronous one's too): its
 * status, or the exception the application threw.
 *
 * <pre>{@code
 * AdmissionGate gate = AdmissionGate.builder()
 *         .limit("/api/", "api", LimitSpec.tokenBucket(100, 50, Duration.ofSeconds(1)))
 *         .keys(KeyExtractor.forwardedFor(1))
 *         .breaker(CircuitBreaker.create(CircuitBreakerSpec.builder().build()))
 *         .build();
 * servletContext.addFilter("gatehouse", new GatehouseFilter(gate)).addMappingForUrlPatterns(null, false, "/*");
 * }</pre>
 */
public final class GatehouseFilter implements Filter {

    private final AdmissionGate gate;

    /** A filter judging requests by {@code gate}. */
    public GatehouseFilter(AdmissionGate gate) {
        this.gate = Require.given("gate", gate, "an admission gate");
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse answer)) {
            chain.doFilter(request, response);
            return;
        }
        // the gate bounds its wait for the limits' store: join returns within the store timeout
        AdmissionGate.Verdict verdict = gate.judge(pathWithin(http), new ServletRequestFacts(http))
                .toCompletableFuture()
                .join();
        for (Map.Entry<String, String> header : verdict.headers().entrySet()) {
            answer.setHeader(header.getKey(), header.getValue());
        }
        switch (verdict) {
            case AdmissionGate.Refuse refuse -> refuse(answer, refuse.status(), refuse.body());
            case AdmissionGate.Pass pass -> pass(http, answer, chain, pass.call());
        }
    }

    /** Runs the application, then reports the call's end once its answer is done. */
    private static void pass(
            HttpServletRequest request, HttpServletResponse response, FilterChain chain, AdmissionGate.Call call)
            throws IOException, ServletException {
        try {
            chain.doFilter(request, response);
        } catch (IOException | ServletException | RuntimeException | Error e) {
            call.failed(e);
            throw e;
        }
        if (request.isAsyncStarted()) {
            request.getAsyncContext().addListener(new Ending(call));
        } else {
            call.answered(response.getStatus());
        }
    }

    /** Reports an asynchronous request's end. */
    private record Ending(AdmissionGate.Call call) implements AsyncListener {
        @Override
        public void onComplete(AsyncEvent event) {
            call.answered(((HttpServletResponse) event.getSuppliedResponse()).getStatus());
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            call.answered(HttpServletResponse.SC_GATEWAY_TIMEOUT);
        }

        @Override
        public void onError(AsyncEvent event) {
            Throwable error = event.getThrowable();
            call.failed(error == null ? new IOException("the asynchronous request failed") : error);
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this); // dispatched again: keep listening
        }
    }

    /**
     * The request's path within the application, as the container decoded and normalised it: the
     * path the gate's prefixes are matched against ({@code /api/%6Cogin} is {@code /api/login}).
     */
    public static String pathWithin(HttpServletRequest request) {
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        String path = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
        return path.isEmpty() ? "/" : path;
    }

    private static void refuse(HttpServletResponse response, int status, String text) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain; charset=UTF-8");
        response.setHeader("X-Content-Type-Options", "nosniff");
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
