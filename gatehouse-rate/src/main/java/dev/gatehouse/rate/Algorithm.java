package dev.gatehouse.rate;

import dev.gatehouse.core.limit.LimitSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/** The limiter a key uses; gocc has only the fixed window, a key pattern may choose another. */
public enum Algorithm {
    /** {@code max} per window, windows starting at the key's first request (gocc). */
    FIXED_WINDOW("fixed_window"),
    /** {@code max} per sliding window, weighted over the previous window. */
    SLIDING_WINDOW("sliding_window"),
    /** A bucket of {@code max} tokens refilled at {@code max} per window. */
    TOKEN_BUCKET("token_bucket"),
    /** {@code max} requests in flight, each ended by {@code DELETE /rate/{key}/{requestId}}. */
    CONCURRENCY("concurrency");

    private final String configName;

    Algorithm(String configName) {
        this.configName = configName;
    }

    /** The name in the key config file, such as {@code token_bucket}. */
    public String configName() {
        return configName;
    }

    /** The spec of this algorithm for {@code max} per {@code windowMillis}. */
    LimitSpec spec(long max, long windowMillis) {
        Duration window = Duration.ofMillis(windowMillis);
        return switch (this) {
            case FIXED_WINDOW -> LimitSpec.fixedWindow(max, window);
            case SLIDING_WINDOW -> LimitSpec.slidingWindow(max, window);
            case TOKEN_BUCKET -> LimitSpec.tokenBucket(max, max, window);
            case CONCURRENCY -> LimitSpec.concurrency(max);
        };
    }

    /** The algorithm called {@code configName} in the key config file. */
    public static Optional<Algorithm> named(String configName) {
        return Arrays.stream(values())
                .filter(a -> a.configName.equals(configName))
                .findFirst();
    }
}
