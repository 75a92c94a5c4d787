package dev.gatehouse.core.degrade;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Concurrency permits through a degrading limiter with a local share, from many threads that also make
 * the store go down and come back, and run its probes, again and again: every permit goes back once,
 * to whoever granted it.
 */
class DegradingKeyedRateLimiterContentionTest {

    private static final int LIMIT = 4;
    private static final int NODES = 2;
    private static final int LOCAL_SHARE = LIMIT / NODES;
    private static final LimitSpec SPEC = LimitSpec.concurrency(LIMIT);
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
    private static final int THREADS = 4;
    private static final int ATTEMPTS_PER_THREAD = 5_000;

    private final ManualClock clock = new ManualClock();

    private KeyedRateLimiter memory() {
        return KeyedRateLimiter.inMemory(
                LimiterRegistry.forSpecs(key -> SPEC, clock).build());
    }

    private static long used(KeyedRateLimiter limiter) {
        return limiter.snapshot("k", SPEC)
                .toCompletableFuture()
                .join()
                .map(LimiterSnapshot::used)
                .orElse(0L);
    }

    @RepeatedTest(10)
    void flappingHealth_manyThreads_neverMoreInFlightThanLimitPlusShare_andEveryPermitComesBackOnce(
            RepetitionInfo repetition) throws InterruptedException {
        FlakyStore store = new FlakyStore(memory());
        KeyedRateLimiter local = memory();
        StoreHealth health = StoreHealth.create("store", store::probe, clock, PROBE_INTERVAL);
        DegradingKeyedRateLimiter limiter =
                DegradingKeyedRateLimiter.create(store, health, Fallback.local(local, NODES));
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        AtomicInteger localGrants = new AtomicInteger();
        AtomicInteger worker = new AtomicInteger();

        store.down = true; // the first decision degrades the store
        Race.run(THREADS, () -> {
            SplittableRandom random =
                    new SplittableRandom(repetition.getCurrentRepetition() * 31L + worker.getAndIncrement());
            for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
                int flap = random.nextInt(64);
                if (flap == 0) {
                    store.down = !store.down; // the store goes away or comes back
                } else if (flap == 1) {
                    clock.advance(PROBE_INTERVAL); // a due probe, and the recovery it starts, run here
                }
                Decision decision =
                        limiter.decide("k", SPEC, 1).toCompletableFuture().join();
                if (!decision.allowed()) {
                    continue;
                }
                if (decision.lease() < 0) {
                    localGrants.incrementAndGet();
                }
                mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                Thread.onSpinWait();
                inFlight.decrementAndGet();
                limiter.release("k", SPEC, 1, decision.lease())
                        .toCompletableFuture()
                        .join();
            }
        });
        store.down = false;
        clock.advance(PROBE_INTERVAL); // the store answers: a pending probe finds it, queued releases go

        assertThat(mostInFlight.get()).isLessThanOrEqualTo(LIMIT + LOCAL_SHARE);
        assertThat(health.healthy()).isTrue();
        assertThat(limiter.queuedReleases()).isZero();
        assertThat(store.releasesOfGoneGrants())
                .as("releases of a grant already given back")
                .isZero();
        assertThat(store.liveLeases()).as("store grants never given back").isZero();
        assertThat(used(store)).isZero();
        assertThat(used(local)).isZero();
        assertThat(health.outages()).as("the store went down during the run").isPositive();
        assertThat(localGrants.get()).as("the local share granted permits").isPositive();
    }
}
