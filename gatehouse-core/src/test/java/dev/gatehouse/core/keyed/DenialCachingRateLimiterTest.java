package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class DenialCachingRateLimiterTest {

    private static final LimitSpec TWO_PER_SECOND = LimitSpec.fixedWindow(2, Duration.ofSeconds(1));

    private final ManualClock clock = new ManualClock();
    private final CountingStore store = new CountingStore(KeyedRateLimiter.inMemory(
            LimiterRegistry.forSpecs(key -> TWO_PER_SECOND, clock).build()));

    private static Decision decide(KeyedRateLimiter limiter, String key, long permits) {
        return limiter.decide(key, TWO_PER_SECOND, permits)
                .toCompletableFuture()
                .join();
    }

    @Test
    void keyOverItsLimit_isDeniedLocally_untilItMayRetry() {
        KeyedRateLimiter cached = KeyedRateLimiter.cachingDenials(store, clock, 100);
        decide(cached, "hot", 2);
        clock.advance(Duration.ofMillis(300));
        decide(cached, "hot", 1);
        int callsAfterFirstDenial = store.decisions;

        for (int i = 0; i < 1_000; i++) {
            Decision decision = decide(cached, "hot", 1);
            assertThat(decision.allowed()).isFalse();
            assertThat(decision.nanosUntilRetry())
                    .isEqualTo(Duration.ofMillis(700).toNanos());
        }
        assertThat(store.decisions).isEqualTo(callsAfterFirstDenial);

        clock.advance(Duration.ofMillis(700));
        assertThat(decide(cached, "hot", 1).allowed()).isTrue();
        assertThat(store.decisions).isEqualTo(callsAfterFirstDenial + 1);
    }

    @Test
    void snapshot_countsTheDenialsAnsweredFromTheCache_asTheStoreWouldHave() {
        KeyedRateLimiter cached = KeyedRateLimiter.cachingDenials(store, clock, 100);
        KeyedRateLimiter plain = KeyedRateLimiter.inMemory(
                LimiterRegistry.forSpecs(key -> TWO_PER_SECOND, clock).build());
        for (KeyedRateLimiter limiter : new KeyedRateLimiter[] {cached, plain}) {
            for (int i = 0; i < 7; i++) { // 2 allowed, 5 denied (the cache answers 4 of them itself)
                decide(limiter, "hot", 1);
            }
        }

        assertThat(deniedThisWindow(cached)).isEqualTo(5).isEqualTo(deniedThisWindow(plain));
    }

    private static long deniedThisWindow(KeyedRateLimiter limiter) {
        return limiter.snapshot("hot", TWO_PER_SECOND)
                .toCompletableFuture()
                .join()
                .orElseThrow()
                .deniedThisWindow();
    }

    @Test
    void release_throughThisNode_dropsTheCachedDenial() {
        KeyedRateLimiter cached = KeyedRateLimiter.cachingDenials(store, clock, 100);
        decide(cached, "k", 2);
        decide(cached, "k", 1);

        cached.release("k", TWO_PER_SECOND, 1).toCompletableFuture().join();

        assertThat(decide(cached, "k", 1).allowed()).isTrue();
    }

    @Test
    void denialComputedBeforeARelease_isNotCachedAfterIt() {
        PendingStore slow = new PendingStore();
        KeyedRateLimiter cached = KeyedRateLimiter.cachingDenials(slow, clock, 100);
        CompletionStage<Decision> deciding = cached.decide("k", TWO_PER_SECOND, 1); // the store finds it full

        cached.release("k", TWO_PER_SECOND, 1); // meanwhile a slot is freed
        slow.releases.remove().complete(null);
        slow.decisions.remove().complete(deniedForNearlyASecond()); // the store's answer arrives late

        assertThat(deciding.toCompletableFuture().join().allowed()).isFalse();
        cached.decide("k", TWO_PER_SECOND, 1);
        assertThat(slow.decisions).as("the next request reaches the store").hasSize(1);
    }

    @Test
    void denialArrivingWhileAReleaseTravels_isDroppedWhenTheReleaseLands() {
        PendingStore slow = new PendingStore();
        KeyedRateLimiter cached = KeyedRateLimiter.cachingDenials(slow, clock, 100);
        cached.release("k", TWO_PER_SECOND, 1); // sent, not yet applied by the store
        CompletionStage<Decision> deciding = cached.decide("k", TWO_PER_SECOND, 1);
        slow.decisions.remove().complete(deniedForNearlyASecond()); // decided before the release landed

        slow.releases.remove().complete(null);

        assertThat(deciding.toCompletableFuture().join().allowed()).isFalse();
        cached.decide("k", TWO_PER_SECOND, 1);
        assertThat(slow.decisions).as("the next request reaches the store").hasSize(1);
    }

    @Test
    void fewerPermitsThanTheCachedDenial_stillAskTheStore() {
        KeyedRateLimiter cached = KeyedRateLimiter.cachingDenials(store, clock, 100);
        decide(cached, "k", 1);
        decide(cached, "k", 2); // denied: only one left
        int calls = store.decisions;

        assertThat(decide(cached, "k", 1).allowed()).isTrue();
        assertThat(store.decisions).isEqualTo(calls + 1);
    }

    @Test
    void boundedNumberOfKeys_isNeverExceeded() {
        DenialCachingRateLimiter cached = new DenialCachingRateLimiter(store, clock, 10);
        for (int i = 0; i < 100; i++) {
            decide(cached, "k" + i, 3); // more than the limit: denied for good, not cached
            decide(cached, "k" + i, 2);
            decide(cached, "k" + i, 1); // denied until the window rolls: cached
        }
        assertThat(cached.size()).isEqualTo(10);

        clock.advance(Duration.ofSeconds(1));
        decide(cached, "fresh", 2);
        decide(cached, "fresh", 1);
        assertThat(cached.size()).isLessThanOrEqualTo(10);
        assertThat(decide(cached, "fresh", 1).nanosUntilRetry()).isPositive();
    }

    private static Decision deniedForNearlyASecond() {
        long untilRoll = Duration.ofMillis(999).toNanos();
        return new Decision(Decision.Outcome.DENIED, 0, untilRoll, untilRoll);
    }

    /** A store whose answers the test gives, one call at a time, as a remote one's arrive later. */
    private static final class PendingStore implements KeyedRateLimiter {
        final Queue<CompletableFuture<Decision>> decisions = new ConcurrentLinkedQueue<>();
        final Queue<CompletableFuture<Void>> releases = new ConcurrentLinkedQueue<>();

        @Override
        public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
            CompletableFuture<Decision> answer = new CompletableFuture<>();
            decisions.add(answer);
            return answer;
        }

        @Override
        public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
            CompletableFuture<Void> answer = new CompletableFuture<>();
            releases.add(answer);
            return answer;
        }

        @Override
        public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
    }

    /** Counts the decisions that reach the store. */
    private static final class CountingStore implements KeyedRateLimiter {
        private final KeyedRateLimiter delegate;
        int decisions;

        CountingStore(KeyedRateLimiter delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
            decisions++;
            return delegate.decide(key, spec, permits);
        }

        @Override
        public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
            return delegate.release(key, spec, permits, lease);
        }

        @Override
        public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
            return delegate.snapshot(key, spec);
        }
    }
}
