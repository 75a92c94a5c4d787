package dev.gatehouse.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started process: its listeners over its infrastructure, shut down in that order (the listeners
 * drain gracefully within {@code http.shutdown-timeout-millis}, then what they used is closed).
 */
public record Started(Infrastructure infra, Listeners listeners) implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Started.class);

    @Override
    public void close() {
        try {
            listeners.close();
        } finally {
            infra.close();
        }
        LOG.info("stopped");
    }
}
