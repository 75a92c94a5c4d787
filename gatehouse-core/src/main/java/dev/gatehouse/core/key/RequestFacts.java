package dev.gatehouse.core.key;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a key extractor reads of a request, whichever server received it (a servlet container,
 * Vert.x, Spring): a small view each integration adapts its request to.
 */
public interface RequestFacts {

    /**
     * The address of the connection's peer, without a port ({@code 192.0.2.7}, {@code 2001:db8::1});
     * null when there is none (a Unix socket).
     */
    @Nullable
    String remoteAddress();

    /** Every value of the header {@code name} (case-insensitive), in the order received; empty when absent. */
    List<String> headers(String name);

    /** The first value of the header {@code name}, or null. */
    default @Nullable String header(String name) {
        List<String> values = headers(name);
        return values.isEmpty() ? null : values.getFirst();
    }

    /** The value of the cookie {@code name}, or null. */
    @Nullable
    String cookie(String name);

    /** The name of the authenticated user, or null for an anonymous request. */
    @Nullable
    String principal();
}
