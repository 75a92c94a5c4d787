package dev.gatehouse.testing.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** What the whole process logs while a hostile-client test runs, to check no client caused an ERROR. */
public final class CapturedLog implements AutoCloseable {

    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    private CapturedLog() {
        events.start();
        root().addAppender(events);
    }

    /** Starts capturing the root logger's events. */
    public static CapturedLog start() {
        return new CapturedLog();
    }

    /** Fails when an event since the last call is at ERROR or carries a stack trace; forgets them. */
    public void assertNoErrorOrStackTrace() {
        List<ILoggingEvent> seen;
        synchronized (events) {
            seen = new ArrayList<>(events.list);
            events.list.clear();
        }
        assertThat(seen.stream()
                        .filter(event ->
                                event.getLevel().isGreaterOrEqual(Level.ERROR) || event.getThrowableProxy() != null)
                        .map(event -> event.getLevel() + " " + event.getLoggerName() + " [" + event.getThreadName()
                                + "]: " + event.getFormattedMessage()
                                + (event.getThrowableProxy() == null
                                        ? ""
                                        : " (" + event.getThrowableProxy().getClassName() + ")"))
                        .toList())
                .as("log events at ERROR or with a stack trace")
                .isEmpty();
    }

    /** The messages logged so far (formatted), oldest first. */
    public List<String> messages() {
        synchronized (events) {
            return events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** The events at ERROR so far, oldest first: each message, then the class and message of what it carries. */
    public List<String> errors() {
        synchronized (events) {
            return events.list.stream()
                    .filter(event -> event.getLevel().isGreaterOrEqual(Level.ERROR))
                    .map(event -> event.getFormattedMessage()
                            + (event.getThrowableProxy() == null
                                    ? ""
                                    : " (" + event.getThrowableProxy().getClassName() + ": "
                                            + event.getThrowableProxy().getMessage() + ")"))
                    .toList();
        }
    }

    @Override
    public void close() {
        root().detachAppender(events);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
