package dev.gatehouse.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.http.settings.Setting;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Points logback at standard output in the configured format and level; no logback.xml is read. */
public final class LogSetup {

    /** How log lines are written. */
    public enum Format {
        JSON,
        TEXT
    }

    public static final Setting<Format> FORMAT = Setting.choice(
            "log.format",
            "LOG_FORMAT",
            "json",
            Map.of("json", Format.JSON, "text", Format.TEXT, "system-default", Format.TEXT),
            "json, text or system-default (= text)",
            "--log-format",
            "-l");
    public static final Setting<Level> LEVEL = Setting.choice(
            "log.level",
            "LOG_LEVEL",
            "INFO",
            Map.of("debug", Level.DEBUG, "info", Level.INFO, "warn", Level.WARN, "error", Level.ERROR),
            "DEBUG, INFO, WARN or ERROR",
            "--log-level");

    /** The settings of the process's log. */
    public static final List<Setting<?>> SETTINGS = List.of(FORMAT, LEVEL);

    private LogSetup() {}

    /**
     * For a command that answers and exits ({@code tenants}): warnings and errors only, as text on
     * standard error without stack traces, so that standard output holds the answer alone. The
     * connection pool's own report of a failed start is left out: the command says it in one line.
     */
    public static void forOneShotCommand() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        PatternLayoutEncoder pattern = new PatternLayoutEncoder();
        pattern.setPattern("gatehouse: %level %logger{24} - %msg%n%nopex");
        pattern.setContext(context);
        pattern.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("stderr");
        appender.setTarget("System.err");
        appender.setEncoder(pattern);
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(appender);
        context.getLogger("com.zaxxer.hikari").setLevel(Level.OFF);
    }

    /** Replaces logback's configuration by one console appender, as {@code settings} say. */
    public static void apply(ResolvedSettings settings) {
        Format format = settings.get(FORMAT);
        Level level = settings.get(LEVEL);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        Encoder<ILoggingEvent> encoder;
        if (format == Format.JSON) {
            encoder = new JsonLineEncoder();
        } else {
            PatternLayoutEncoder pattern = new PatternLayoutEncoder();
            pattern.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg %kvp%n%ex");
            encoder = pattern;
        }
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("console");
        appender.setEncoder(encoder);
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(appender);
        if (level == Level.DEBUG) {
            context.getLogger("io.netty").setLevel(Level.INFO); // Netty's DEBUG is about its own internals
        }
        julThroughLogback();
    }

    /**
     * What libraries log through java.util.logging (grpc-java) goes to the same console in the same
     * format, instead of JUL's own two-line records on standard error.
     */
    private static void julThroughLogback() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }
}
