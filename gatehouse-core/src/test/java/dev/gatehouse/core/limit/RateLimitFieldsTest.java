package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitFieldsTest {

    @Test
    void policyOfEverySpecNamesItsLimitAndWindow() {
        assertThat(RateLimitFields.policy("api", LimitSpec.fixedWindow(100, Duration.ofSeconds(1))))
                .isEqualTo("\"api\";q=100;w=1");
        assertThat(RateLimitFields.policy("api", LimitSpec.slidingWindow(5, Duration.ofMillis(1500))))
                .isEqualTo("\"api\";q=5;w=2");
        assertThat(RateLimitFields.policy("api", LimitSpec.tokenBucket(50, 10, Duration.ofSeconds(1))))
                .as("a bucket's window: its refill from empty")
                .isEqualTo("\"api\";q=50;w=5");
        assertThat(RateLimitFields.policy("api", LimitSpec.tokenBucket(3, 2, Duration.ofSeconds(1))))
                .isEqualTo("\"api\";q=3;w=2");
        assertThat(RateLimitFields.policy("api", LimitSpec.tokenBucket(Long.MAX_VALUE / 4, 1, Duration.ofNanos(1))))
                .startsWith("\"api\";q=");
        assertThat(RateLimitFields.policy("db", LimitSpec.concurrency(8))).isEqualTo("\"db\";q=8");
    }

    @Test
    void stateAndRetryAfterRoundUp() {
        Decision denied = Decision.denied(0, 1_500_000_000L, 2_000_000_001L);
        assertThat(RateLimitFields.state("api", denied)).isEqualTo("\"api\";r=0;t=3");
        assertThat(RateLimitFields.retryAfterSeconds(denied)).isEqualTo(2);
        assertThat(RateLimitFields.retryAfterSeconds(Decision.denied(0, 1, 1))).isEqualTo(1);
        assertThat(RateLimitFields.retryAfterSeconds(Decision.denied(0, Decision.NEVER, Decision.NEVER)))
                .isZero();
        assertThat(RateLimitFields.state("api", Decision.allowed(4, Decision.NEVER)))
                .isEqualTo("\"api\";r=4");
    }
}
