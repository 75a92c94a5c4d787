package dev.gatehouse.cli.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.gatehouse.http.config.ServerConfig;
import org.slf4j.LoggerFactory;

/** Points logback at standard output in the configured format and level; no logback.xml is read. */
public final class LogSetup {

    private LogSetup() {}

    /** Replaces logback's configuration by one console appender for {@code config}. */
    public static void apply(ServerConfig.Log config) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        Encoder<ILoggingEvent> encoder;
        if (config.format() == ServerConfig.LogFormat.JSON) {
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
        Level level = Level.toLevel(config.level(), Level.INFO);
        root.setLevel(level);
        root.addAppender(appender);
        if (level == Level.DEBUG) {
            context.getLogger("io.netty").setLevel(Level.INFO); // Netty's DEBUG is about its own internals
        }
    }
}
