package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.testing.DownLimiter;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BlockingRateLimiterTest {

    private static final LimitSpec TWO_PER_SECOND = LimitSpec.fixedWindow(2, Duration.ofSeconds(1));

    private final ManualClock clock = new ManualClock();
    private final KeyedRateLimiter limits = KeyedRateLimiter.inMemory(
            LimiterRegistry.forSpecs(key -> TWO_PER_SECOND, clock).build());

    @Test
    void view_decidesReleasesAndSnapshotsThroughThePort() {
        RateLimiter view = limits.limiter("k", TWO_PER_SECOND);
        assertThat(view.snapshot().remaining()).isEqualTo(2); // fresh key

        assertThat(view.tryAcquire()).isTrue();
        assertThat(view.decide(1).remaining()).isZero();
        assertThat(view.tryAcquire()).isFalse();
        view.release(1);

        assertThat(view.tryAcquirePermit(1)).isPresent();
        assertThat(view.snapshot().deniedThisWindow()).isEqualTo(1);
        assertThat(view.spec()).isEqualTo(TWO_PER_SECOND);
        assertThat(view.reclaimableAtNanos()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void view_storeDown_throwsTheStoresException() {
        KeyedRateLimiter down = new DownLimiter();

        assertThatThrownBy(() -> down.limiter("k", TWO_PER_SECOND).tryAcquire())
                .isInstanceOf(LimiterUnavailableException.class)
                .hasMessage("down");
    }
}
