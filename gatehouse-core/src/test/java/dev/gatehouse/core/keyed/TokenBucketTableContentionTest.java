package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.testing.Race;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The table under threads that decide, insert, sweep and evict at once: no permit lost or taken twice. */
class TokenBucketTableContentionTest {

    /** A clock that never moves: a bucket never refills, so every permit granted is counted exactly. */
    private static final NanoClock FROZEN = () -> 0;

    @Test
    void hotKeys_grantExactlyTheirCapacity_whileNewKeysGrowTheTables() throws InterruptedException {
        int capacity = 20_000;
        int hotKeys = 8;
        TokenBucketTable buckets = TokenBucketTable.builder(LimitSpec.tokenBucket(capacity, 1, Duration.ofSeconds(1)))
                .clock(FROZEN)
                .maximumKeys(1_000_000)
                .build();
        AtomicLongArray granted = new AtomicLongArray(hotKeys);
        AtomicInteger threads = new AtomicInteger();
        AtomicInteger newKeysDenied = new AtomicInteger();

        Race.run(3, () -> {
            if (threads.getAndIncrement() == 0) {
                // every insert may grow a segment, which moves every key of it while others decide
                for (int i = 0; i < 60_000; i++) {
                    if (!buckets.tryAcquire("new-" + i, 1)) {
                        newKeysDenied.incrementAndGet();
                    }
                }
                return;
            }
            for (int round = 0; round < capacity; round++) {
                for (int key = 0; key < hotKeys; key++) {
                    if (buckets.tryAcquire("hot-" + key, 1)) {
                        granted.incrementAndGet(key);
                    }
                }
            }
        });

        for (int key = 0; key < hotKeys; key++) {
            assertThat(granted.get(key)).as("hot-%d", key).isEqualTo(capacity);
        }
        assertThat(newKeysDenied).hasValue(0);
        assertThat(buckets.size()).isEqualTo(60_000 + hotKeys);
    }

    @Test
    void aBucketInUse_isNeitherEvictedNorGivenToANewKey() throws InterruptedException {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicReference<Thread> blocked = new AtomicReference<>();
        NanoClock clock = () -> {
            if (Thread.currentThread() == blocked.get()) {
                reading.countDown();
                await(resume); // the decision is under way: its slot is entered
            }
            return 0;
        };
        TokenBucketTable buckets = TokenBucketTable.builder(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1)))
                .clock(clock)
                .maximumKeys(1)
                .build();
        buckets.tryAcquire("a", 1);
        buckets.release("a", 1); // full again: idle, and the soonest to be forgotten

        Thread decider = Thread.ofPlatform().unstarted(() -> buckets.tryAcquire("a", 1));
        blocked.set(decider);
        decider.start();
        await(reading);
        assertThat(buckets.sweep(10)).as("swept while in use").isZero();
        assertThat(buckets.decide("b", 1).outcome())
                .as("a new key past the bound takes no key in use")
                .isEqualTo(Decision.Outcome.TOO_MANY_KEYS);
        resume.countDown();
        decider.join();

        assertThat(buckets.snapshot("a").orElseThrow().remaining()).isZero();
        assertThat(buckets.refusals()).isEqualTo(1);
        assertThat(buckets.evictions()).isZero();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aKeysBucket_isNeverAnothersAfterEvictionAndReuse() throws InterruptedException {
        // one permit a key, never refilled: its owner takes it and gives it back, so it must find it
        // every time; a decision landing in a slot evicted and given to another key would take that
        // key's permit, and its owner would find its bucket empty
        int owners = 2;
        int keysEach = 300;
        TokenBucketTable buckets = TokenBucketTable.builder(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1)))
                .clock(FROZEN)
                .maximumKeys(500) // below the keys in play: full, so new keys evict sampled ones
                .build();
        AtomicInteger threads = new AtomicInteger();
        AtomicInteger ownersDone = new AtomicInteger();
        AtomicInteger foundEmpty = new AtomicInteger();
        AtomicInteger decisions = new AtomicInteger();

        Race.run(owners + 2, () -> {
            int me = threads.getAndIncrement();
            if (me >= owners) {
                // a sweeper (full buckets are idle) and a flood of new keys against the bound
                for (int i = 0; ownersDone.get() < owners; i++) {
                    if (me == owners) {
                        buckets.sweep(64);
                    } else {
                        buckets.tryAcquire("flood-" + i, 1);
                    }
                }
                return;
            }
            for (int round = 0; round < 150; round++) {
                for (int k = 0; k < keysEach; k++) {
                    String key = "owner" + me + "-" + k;
                    Decision decision = buckets.decide(key, 1);
                    if (decision.outcome() == Decision.Outcome.TOO_MANY_KEYS) {
                        continue; // refused: every sampled key was in use
                    }
                    decisions.incrementAndGet();
                    if (decision.allowed()) {
                        buckets.release(key, 1);
                    } else {
                        foundEmpty.incrementAndGet();
                    }
                }
            }
            ownersDone.incrementAndGet();
        });

        assertThat(foundEmpty).hasValue(0);
        assertThat(decisions.get()).isGreaterThan(owners * keysEach * 100);
        assertThat(buckets.evictions()).isGreaterThan(10_000);
        assertThat(buckets.size()).isLessThanOrEqualTo(500);
    }
}
