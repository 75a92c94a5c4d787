package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.time.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
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
    void thousandConcurrentCallers_frozenClock_admitExactlyTheLimit(LimitSpec spec) throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            RateLimiter limiter = spec.newLimiter(FROZEN);
            assertThat(race(() -> limiter.tryAcquire(1))).isEqualTo(50);
            RateLimiter decided = spec.newLimiter(FROZEN);
            assertThat(race(() -> decided.decide(1).allowed())).isEqualTo(50);
        }
    }

    private static int race(java.util.function.BooleanSupplier attempt) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger admitted = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(CALLERS);
        for (int i = 0; i < CALLERS; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (attempt.getAsBoolean()) {
                    admitted.incrementAndGet();
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        return admitted.get();
    }
}
