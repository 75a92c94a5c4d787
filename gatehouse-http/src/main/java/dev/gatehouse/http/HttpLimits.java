package dev.gatehouse.http;

import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import io.vertx.core.MultiMap;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Bounds on what a client may send and how long it may take, the connection cap, the graceful
 * shutdown bound, and the event loops that serve the connections; every listener of the process
 * applies them on its own (the cap counts per listener). {@code namesSettings}: the values come
 * from the {@code http.*} settings, so refusals name them (see {@link #expected}).
 */
public record HttpLimits(
        int maxHeaderBytes,
        int maxHeaderCount,
        int maxInitialLineBytes,
        int maxBodyBytes,
        int maxConcurrentStreams,
        int maxConnections,
        long headerTimeoutMillis,
        long bodyTimeoutMillis,
        long writeTimeoutMillis,
        long idleTimeoutMillis,
        long shutdownTimeoutMillis,
        long shutdownDelayMillis,
        int eventLoops,
        boolean namesSettings) {

    private static final long HOUR_MILLIS = 3_600_000;

    public static final Setting<Integer> MAX_HEADER_BYTES = Setting.integer(
            "http.max-header-bytes",
            "GATEHOUSE_MAX_HEADER_BYTES",
            16384,
            1024,
            1 << 20,
            "Largest request header block",
            "--max-header-bytes");
    public static final Setting<Integer> MAX_HEADER_COUNT = Setting.integer(
            "http.max-header-count",
            "GATEHOUSE_MAX_HEADER_COUNT",
            100,
            1,
            10_000,
            "Most request headers; more are answered 431",
            "--max-header-count");
    public static final Setting<Integer> MAX_INITIAL_LINE_BYTES = Setting.integer(
            "http.max-initial-line-bytes",
            "GATEHOUSE_MAX_INITIAL_LINE_BYTES",
            4096,
            256,
            1 << 20,
            "Longest request line (method, path and query string)",
            "--max-initial-line-bytes");
    public static final Setting<Integer> MAX_BODY_BYTES = Setting.integer(
            "http.max-body-bytes",
            "GATEHOUSE_MAX_BODY_BYTES",
            65536,
            0,
            1 << 30,
            "Largest request body",
            "--max-body-bytes");
    public static final Setting<Integer> MAX_CONCURRENT_STREAMS = Setting.integer(
            "http.max-concurrent-streams",
            "GATEHOUSE_MAX_CONCURRENT_STREAMS",
            1000,
            1,
            1 << 20,
            "Most concurrent HTTP/2 streams per connection",
            "--max-concurrent-streams");
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer(
            "http.max-connections",
            "GATEHOUSE_MAX_CONNECTIONS",
            10_000,
            1,
            1 << 24,
            "Most open connections per listener; a connection past it is closed at once (held at three quarters of"
                    + " the process's open-file limit when that is lower)",
            "--max-connections");
    public static final Setting<Long> HEADER_TIMEOUT_MILLIS = Setting.longInteger(
            "http.header-timeout-millis",
            "GATEHOUSE_HEADER_TIMEOUT_MILLIS",
            5000,
            10,
            HOUR_MILLIS,
            "Longest time to receive a request head, from its first byte (or the connection's start); then 408 and close",
            "--header-timeout-millis");
    public static final Setting<Long> BODY_TIMEOUT_MILLIS = Setting.longInteger(
            "http.body-timeout-millis",
            "GATEHOUSE_BODY_TIMEOUT_MILLIS",
            30_000,
            10,
            HOUR_MILLIS,
            "Longest time to receive a request body, from the end of its head; then the connection (HTTP/2: the stream) is closed",
            "--body-timeout-millis");
    public static final Setting<Long> WRITE_TIMEOUT_MILLIS = Setting.longInteger(
            "http.write-timeout-millis",
            "GATEHOUSE_WRITE_TIMEOUT_MILLIS",
            30_000,
            10,
            HOUR_MILLIS,
            "Longest time a client may leave an answer unread once the send buffer is full; then close",
            "--write-timeout-millis");
    public static final Setting<Long> IDLE_TIMEOUT_MILLIS = Setting.longInteger(
            "http.idle-timeout-millis",
            "GATEHOUSE_IDLE_TIMEOUT_MILLIS",
            120_000,
            10,
            HOUR_MILLIS,
            "Longest time a connection with no request in progress stays open (keep-alive; HTTP/2: no open stream)",
            "--idle-timeout-millis");
    public static final Setting<Long> SHUTDOWN_TIMEOUT_MILLIS = Setting.longInteger(
            "http.shutdown-timeout-millis",
            "GATEHOUSE_SHUTDOWN_TIMEOUT_MILLIS",
            5000,
            0,
            600_000,
            "Longest graceful shutdown before open connections are dropped",
            "--shutdown-timeout-millis");
    public static final Setting<Long> SHUTDOWN_DELAY_MILLIS = Setting.longInteger(
            "http.shutdown-delay-millis",
            "GATEHOUSE_SHUTDOWN_DELAY_MILLIS",
            0,
            0,
            600_000,
            "On a stop, how long /readyz answers 503 while the surfaces still serve, before the listeners stop",
            "--shutdown-delay-millis");

    /** The most event loops a process may be asked to run. */
    public static final int MAX_EVENT_LOOPS = 1_024;

    public static final Setting<Integer> EVENT_LOOPS = Setting.integer(
            "http.event-loops",
            "GATEHOUSE_EVENT_LOOPS",
            0,
            0,
            MAX_EVENT_LOOPS,
            "Event loop threads serving the listeners' connections (0: one per CPU)",
            "--event-loops");

    /** The settings these limits are read from. */
    public static final List<Setting<?>> SETTINGS = List.of(
            MAX_HEADER_BYTES,
            MAX_HEADER_COUNT,
            MAX_INITIAL_LINE_BYTES,
            MAX_BODY_BYTES,
            MAX_CONCURRENT_STREAMS,
            MAX_CONNECTIONS,
            HEADER_TIMEOUT_MILLIS,
            BODY_TIMEOUT_MILLIS,
            WRITE_TIMEOUT_MILLIS,
            IDLE_TIMEOUT_MILLIS,
            SHUTDOWN_TIMEOUT_MILLIS,
            SHUTDOWN_DELAY_MILLIS,
            EVENT_LOOPS);

    /** The limits {@code settings} give. */
    public static HttpLimits from(ResolvedSettings settings) {
        return new HttpLimits(
                settings.get(MAX_HEADER_BYTES),
                settings.get(MAX_HEADER_COUNT),
                settings.get(MAX_INITIAL_LINE_BYTES),
                settings.get(MAX_BODY_BYTES),
                settings.get(MAX_CONCURRENT_STREAMS),
                settings.get(MAX_CONNECTIONS),
                settings.get(HEADER_TIMEOUT_MILLIS),
                settings.get(BODY_TIMEOUT_MILLIS),
                settings.get(WRITE_TIMEOUT_MILLIS),
                settings.get(IDLE_TIMEOUT_MILLIS),
                settings.get(SHUTDOWN_TIMEOUT_MILLIS),
                settings.get(SHUTDOWN_DELAY_MILLIS),
                settings.get(EVENT_LOOPS),
                true);
    }

    /**
     * The bound {@code value} ({@code unit}: "" or " bytes") as a refusal states it: {@code expected:
     * <= value}, naming {@code setting} when settings set these limits (a server's fixed bounds, as
     * the gateway's, have no setting to name).
     */
    String expected(long value, String unit, Setting<Integer> setting) {
        return "expected: <= " + value + unit + (namesSettings ? ", " + setting.path() : "");
    }

    /**
     * The event loops the process runs: {@code eventLoops}, or one per CPU the JVM may use when it is
     * 0. Each listener takes connections on all of them.
     */
    public int eventLoopCount() {
        return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Listener options for {@code host:port}: HTTP/1.1 and h2c on one port, within these limits. No
     * surface takes WebSockets itself (the gateway passes an upgrade's bytes through), so Vert.x's
     * WebSocket compression, a handler every answer passes through, is off.
     */
    public HttpServerOptions serverOptions(String host, int port) {
        return new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setMaxHeaderSize(maxHeaderBytes)
                .setMaxInitialLineLength(maxInitialLineBytes)
                .setMaxFormAttributeSize(maxBodyBytes)
                .setHttp2ClearTextEnabled(true)
                .setInitialSettings(new Http2Settings()
                        .setMaxConcurrentStreams(maxConcurrentStreams)
                        .setMaxHeaderListSize(maxHeaderBytes));
    }

    /**
     * The header lines of a request: each counts, a name repeated too (a map's size counts names,
     * and builds a set of them to do so).
     */
    public static int headerLines(MultiMap headers) {
        if (headers instanceof io.netty.handler.codec.http.HttpHeaders lineByLine) { // HTTP/1.1's: none copied
            return headerLines(lineByLine);
        }
        int lines = 0;
        for (Iterator<Map.Entry<String, String>> it = headers.iterator(); it.hasNext(); it.next()) {
            lines++;
        }
        return lines;
    }

    /** The header lines of a request as Netty decoded it, as {@link #headerLines(MultiMap)} counts them. */
    public static int headerLines(io.netty.handler.codec.http.HttpHeaders headers) {
        int lines = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
                it.hasNext();
                it.next()) {
            lines++;
        }
        return lines;
    }
}
