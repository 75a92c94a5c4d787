package dev.gatehouse.http;

import dev.gatehouse.http.config.ServerConfig;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one line per answered request to the logger {@code gatehouse.access}, for the status classes
 * switched on (gocc's {@code --log2xx}, {@code --log4xx}, {@code --log5xx}).
 */
public final class AccessLog implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.access");

    private final ServerConfig.Log config;

    public AccessLog(ServerConfig.Log config) {
        this.config = config;
    }

    /** Whether any status class is logged; when none is, the handler need not be installed. */
    public boolean enabled() {
        return config.log2xx() || config.log4xx() || config.log5xx();
    }

    @Override
    public void handle(RoutingContext ctx) {
        long startNanos = System.nanoTime();
        ctx.addEndHandler(done -> record(ctx.request(), ctx.response().getStatusCode(), startNanos));
        ctx.next();
    }

    /** Logs {@code request}, answered with {@code status}, if its status class is switched on. */
    public void record(HttpServerRequest request, int status, long startNanos) {
        if (logs(status)) {
            LOG.atInfo()
                    .addKeyValue("method", request.method().name())
                    .addKeyValue("path", request.path())
                    .addKeyValue("status", status)
                    .addKeyValue("micros", (System.nanoTime() - startNanos) / 1000)
                    .addKeyValue("protocol", request.version().alpnName())
                    .addKeyValue("remote", String.valueOf(request.remoteAddress()))
                    .log("{} {} {}", request.method().name(), request.path(), status);
        }
    }

    private boolean logs(int status) {
        return switch (status / 100) {
            case 2 -> config.log2xx();
            case 4 -> config.log4xx();
            case 5 -> config.log5xx();
            default -> false;
        };
    }
}
