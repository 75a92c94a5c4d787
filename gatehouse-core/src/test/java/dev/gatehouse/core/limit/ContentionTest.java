package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Many threads against one limiter with the clock frozen: exactly the limit is admitted, every time. */
class ContentionTest {

    private static final int CALLERS = 1_000;
    private static final int ROUNDS = 20;
    private static final NanoClock FROZEN = () -> 1_000_000L;

    static Stream<LimitSpec> specs() {
        return Stream.of(
                LimitSpec.tokenBucket(50, 1, Duration.ofHours(1)),
                LimitSpec.fixedWindow(50, Duration.ofHours(1)),
                LimitSpec.slidingWindow(50, Duration.ofHours(1)),
                LimitSpec.concurrency(50));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void thousandConcurrentCallers_frozenClock_admitExactlyTheLimit(LimitSpec spec) throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            RateLimiter limiter = spec.newLimiter(FROZEN);
            assertThat(Race.countTrue(Thread.ofVirtual(), CALLERS, () -> limiter.tryAcquire(1)))
                    .isEqualTo(50);
            RateLimiter decided = spec.newLimiter(FROZEN);
            assertThat(Race.countTrue(
                            Thread.ofVirtual(), CALLERS, () -> decided.decide(1).allowed()))
                    .isEqualTo(50);
        }
    }
}
