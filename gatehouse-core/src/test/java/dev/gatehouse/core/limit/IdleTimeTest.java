package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A key's idle time, as its spec says: how long a key back to a fresh state is kept. */
class IdleTimeTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void windows_areKeptThreeOfTheirWindows() {
        assertThat(LimitSpec.IDLE_WINDOWS).isEqualTo(3);
        assertThat(LimitSpec.fixedWindow(5, Duration.ofSeconds(2)).idleNanos()).isEqualTo(6 * SECOND);
        assertThat(LimitSpec.slidingWindow(5, Duration.ofMillis(250)).idleNanos())
                .isEqualTo(750_000_000L);
    }

    @Test
    void windows_longerThanAThirdOfTheLongestTime_saturate() {
        assertThat(new FixedWindowSpec(1, Long.MAX_VALUE / 3).idleNanos()).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(new FixedWindowSpec(1, Long.MAX_VALUE / 3 + 1).idleNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(new SlidingWindowSpec(1, Long.MAX_VALUE).idleNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void tokenBucket_isKeptThreeRefillsFromEmpty() {
        assertThat(LimitSpec.tokenBucket(10, 1, Duration.ofSeconds(1)).idleNanos())
                .isEqualTo(30 * SECOND);
        assertThat(LimitSpec.tokenBucket(10, 4, Duration.ofSeconds(1)).idleNanos())
                .isEqualTo(3 * 2_500_000_000L);
        assertThat(LimitSpec.tokenBucket(1, 3, Duration.ofNanos(10)).idleNanos())
                .isEqualTo(3 * 3); // floor(10 / 3) ns to refill
    }

    @Test
    void tokenBucket_atTheLargestCapacityAndPeriod_doesNotOverflow() {
        TokenBucketSpec largest = new TokenBucketSpec(TokenBucketSpec.MAX_CAPACITY_PERIOD_PRODUCT, 1, 1);

        assertThat(largest.idleNanos()).isEqualTo(3 * TokenBucketSpec.MAX_CAPACITY_PERIOD_PRODUCT);
    }

    @Test
    void concurrency_isKeptASecondWhateverItsLimit() {
        assertThat(LimitSpec.concurrency(1).idleNanos()).isEqualTo(ConcurrencySpec.IDLE_NANOS);
        assertThat(LimitSpec.concurrency(1_000).idleNanos()).isEqualTo(SECOND);
    }
}
