package dev.gatehouse.redis.internal;

import io.lettuce.core.RedisCommandExecutionException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Which failures of a Redis call mean that Redis could not answer, as opposed to refusing the call. */
public final class RedisFailures {

    /** Error replies that concern the server, not the call: Redis cannot serve anything now. */
    private static final List<String> SERVER_WIDE_ERRORS =
            List.of("LOADING", "READONLY", "OOM", "CLUSTERDOWN", "MASTERDOWN", "BUSY", "TRYAGAIN", "NOREPLICAS");

    private RedisFailures() {}

    /**
     * Whether {@code failure} (unwrapped), the failure of a Redis command's own stage, says Redis did
     * not answer: no reply in time, no connection, a client shut down, or a server-wide error reply.
     * An error reply about the call itself (a script that failed, a wrong type) is not: retrying it
     * would fail again. Classify the command's stage only: what the caller's code does with a reply
     * fails later stages, and such a failure is no outage.
     */
    public static boolean isOutage(Throwable failure) {
        return !(failure instanceof RedisCommandExecutionException reply) || isServerWide(reply.getMessage());
    }

    private static boolean isServerWide(@Nullable String reply) {
        return reply != null && SERVER_WIDE_ERRORS.stream().anyMatch(reply::startsWith);
    }
}
