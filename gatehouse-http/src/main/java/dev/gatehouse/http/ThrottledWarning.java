package dev.gatehouse.http;

import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.time.WallClock;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * A warning logged at most once per interval, with how many times it happened meanwhile: a condition
 * every call meets (a store that does not answer) says so without a line per call.
 */
public final class ThrottledWarning {

    private static final long DEFAULT_INTERVAL_MILLIS = 5_000;

    private final Logger log;
    private final String message;
    private final long intervalMillis;
    private final WallClock clock;
    private final AtomicLong nextMillis = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    /** Logs {@code message} to {@code log} at most once every five seconds. */
    public ThrottledWarning(Logger log, String message) {
        this(log, message, DEFAULT_INTERVAL_MILLIS, WallClock.system());
    }

    /** Logs {@code message} to {@code log} at most once every five seconds of {@code clock}. */
    public ThrottledWarning(Logger log, String message, WallClock clock) {
        this(log, message, DEFAULT_INTERVAL_MILLIS, clock);
    }

    /** Logs {@code message} to {@code log} at most once per {@code intervalMillis} of {@code clock}. */
    public ThrottledWarning(Logger log, String message, long intervalMillis, WallClock clock) {
        this.log = log;
        this.message = message;
        this.intervalMillis = intervalMillis;
        this.clock = clock;
    }

    /**
     * Logs the warning, where it happened and {@code failure} (a CompletionException's cause; "no
     * answer" when null) if the interval has passed since the last line; counts it otherwise.
     */
    public void warn(String where, @Nullable Throwable failure) {
        long now = clock.epochMillis();
        long next = nextMillis.get();
        if (now >= next && nextMillis.compareAndSet(next, now + intervalMillis)) {
            log.warn(
                    "{} ({}): {} ({} more since the last such line)",
                    message,
                    where,
                    failure == null ? "no answer" : Failures.cause(failure).toString(),
                    suppressed.getAndSet(0));
        } else {
            suppressed.incrementAndGet();
        }
    }
}
