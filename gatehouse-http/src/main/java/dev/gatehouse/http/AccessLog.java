package dev.gatehouse.http;

import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one line per answered request to the logger {@code gatehouse.access}, for the status classes
 * switched on (gocc's {@code --log2xx}, {@code --log4xx}, {@code --log5xx}).
 */
public final class AccessLog implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger("gatehouse.access");
    private static final int MAX_LOGGED_PATH_CHARS = 1024;

    public static final Setting<Boolean> LOG_2XX =
            Setting.bool("log.log2xx", "LOG_2XX", false, "Log 2xx responses", "--log2xx");
    public static final Setting<Boolean> LOG_4XX =
            Setting.bool("log.log4xx", "LOG_4XX", false, "Log 4xx responses (rate limited ones included)", "--log4xx");
    public static final Setting<Boolean> LOG_5XX =
            Setting.bool("log.log5xx", "LOG_5XX", true, "Log 5xx responses", "--log5xx");

    /** The settings the access log is configured by. */
    public static final List<Setting<?>> SETTINGS = List.of(LOG_2XX, LOG_4XX, LOG_5XX);

    private final boolean log2xx;
    private final boolean log4xx;
    private final boolean log5xx;

    public AccessLog(boolean log2xx, boolean log4xx, boolean log5xx) {
        this.log2xx = log2xx;
        this.log4xx = log4xx;
        this.log5xx = log5xx;
    }

    /** The access log {@code settings} configure. */
    public static AccessLog from(ResolvedSettings settings) {
        return new AccessLog(settings.get(LOG_2XX), settings.get(LOG_4XX), settings.get(LOG_5XX));
    }

    /** Whether any status class is logged; when none is, the handler need not be installed. */
    public boolean enabled() {
        return log2xx || log4xx || log5xx;
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
            write(
                    request.method().name(),
                    String.valueOf(request.path()),
                    request.version().alpnName(),
                    String.valueOf(request.remoteAddress()),
                    status,
                    startNanos);
        }
    }

    /**
     * Logs a request served below Vert.x's request objects (its {@code method}, request {@code
     * target}, {@code protocol} as ALPN names it, the connection's {@code remote} address), answered
     * with {@code status}, if its status class is switched on; as {@link #record(HttpServerRequest,
     * int, long)} logs it.
     */
    public void record(
            String method,
            String target,
            String protocol,
            @Nullable SocketAddress remote,
            int status,
            long startNanos) {
        if (logs(status)) {
            int query = target.indexOf('?');
            write(
                    method,
                    query < 0 ? target : target.substring(0, query),
                    protocol,
                    remote instanceof InetSocketAddress inet
                            ? inet.getHostString() + ":" + inet.getPort()
                            : String.valueOf(remote),
                    status,
                    startNanos);
        }
    }

    private static void write(
            String method, String rawPath, String protocol, String remote, int status, long startNanos) {
        // the client's text, escaped (quotes, backslashes, control bytes) and bounded: in the text
        // format it could otherwise forge fields or send escape codes to a terminal
        String path = ClientText.shorten(rawPath, MAX_LOGGED_PATH_CHARS);
        LOG.atInfo()
                .addKeyValue("method", method)
                .addKeyValue("path", path)
                .addKeyValue("status", status)
                .addKeyValue("micros", (System.nanoTime() - startNanos) / 1000)
                .addKeyValue("protocol", protocol)
                .addKeyValue("remote", remote)
                .log("{} {} {}", method, path, status);
    }

    private boolean logs(int status) {
        return switch (status / 100) {
            case 2 -> log2xx;
            case 4 -> log4xx;
            case 5 -> log5xx;
            default -> false;
        };
    }
}
