package dev.gatehouse.client;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Gatehouse answered with an error status: its status, the server's words ({@code detail} of the
 * room's {@code {"detail": "…"}}, the rate service's plain text) and, on 429 and 503, how long to wait
 * ({@code Retry-After}). The room answers 401 for a missing or unknown API key and for a missing,
 * malformed, forged, other room's or (on verify and finish) expired queue token; the detail says
 * which.
 */
public final class ErrorResponseException extends GatehouseClientException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String detail;
    private final @Nullable Duration retryAfter;

    public ErrorResponseException(String call, int status, String detail, @Nullable Duration retryAfter) {
        super(Kind.ERROR_STATUS, call + ": " + status + (detail.isEmpty() ? "" : " " + detail));
        this.status = status;
        this.detail = detail;
        this.retryAfter = retryAfter;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /**
     * The server's explanation: the room's {@code detail} (validation errors' messages joined by
     * {@code "; "}), the rate service's text, or the start of a body of another kind (a proxy's
     * error page, say); empty when there was none.
     */
    public String detail() {
        return detail;
    }

    /** {@code Retry-After}, when the answer had one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
