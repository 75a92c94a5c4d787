package dev.gatehouse.http;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a process opened, closed in reverse order by one call: a later part may use an earlier one
 * until it is itself closed. A part that fails to close is logged and the others still close.
 */
final class Closer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Closer.class);

    private record Part(String name, AutoCloseable part) {}

    private final Deque<Part> parts = new ArrayDeque<>();

    /** Registers {@code part}, to be closed before everything registered earlier; returns it. */
    synchronized <T extends AutoCloseable> T add(String name, T part) {
        parts.push(new Part(name, part));
        return part;
    }

    @Override
    public synchronized void close() {
        while (!parts.isEmpty()) {
            Part next = parts.pop();
            try {
                next.part().close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", next.name(), e.toString());
            }
        }
    }
}
