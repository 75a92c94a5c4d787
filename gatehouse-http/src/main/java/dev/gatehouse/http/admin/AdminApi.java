package dev.gatehouse.http.admin;

import dev.gatehouse.http.HttpSurface;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;

/**
 * The private admin listener's routes: Prometheus {@code /metrics}, liveness {@code /healthz} and
 * readiness {@code /readyz} (503 while starting or shutting down).
 */
public final class AdminApi {

    private static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;

    public AdminApi(PrometheusMeterRegistry registry, BooleanSupplier ready) {
        this.registry = registry;
        this.ready = ready;
    }

    /** Adds the routes to {@code router}. */
    public void mount(Router router) {
        router.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TYPE)
                        .end(registry.scrape()));
        router.get("/healthz").handler(ctx -> HttpSurface.plain(ctx.response(), 200, "OK"));
        router.get("/readyz").handler(ctx -> {
            boolean isReady = ready.getAsBoolean();
            HttpSurface.plain(ctx.response(), isReady ? 200 : 503, isReady ? "ready" : "not ready");
        });
    }
}
