package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenBucketTableTest {

    private static final long SECOND = 1_000_000_000L;
    /** Three permits, one more a second. */
    private static final TokenBucketSpec THREE = LimitSpec.tokenBucket(3, 1, Duration.ofSeconds(1));

    private final ManualClock clock = new ManualClock();

    private TokenBucketTable.Builder table(TokenBucketSpec spec) {
        return TokenBucketTable.builder(spec).clock(clock);
    }

    @Test
    void aNewKey_hasAFullBucket_andKeepsItsOwn() {
        TokenBucketTable buckets = table(THREE).build();

        assertThat(buckets.tryAcquire("a", 3)).isTrue();
        assertThat(buckets.tryAcquire("a", 1)).isFalse();
        assertThat(buckets.tryAcquire("b", 3)).isTrue();
        assertThat(buckets.size()).isEqualTo(2);

        clock.advanceNanos(SECOND);
        Decision decision = buckets.decide("a", 1);
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.remaining()).isZero();
        Decision denied = buckets.decide("a", 1);
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.nanosUntilRetry()).isEqualTo(SECOND);
        assertThat(buckets.decide("a", 4).nanosUntilRetry()).isEqualTo(Decision.NEVER);
    }

    @Test
    void release_andSnapshot_touchOnlyKeysThatExist() {
        TokenBucketTable buckets = table(THREE).build();

        buckets.release("nobody", 1);
        assertThat(buckets.snapshot("nobody")).isEmpty();
        assertThat(buckets.size()).isZero();

        buckets.tryAcquire("a", 2);
        assertThat(buckets.snapshot("a").orElseThrow().remaining()).isEqualTo(1);
        buckets.release("a", 1);
        assertThat(buckets.snapshot("a").orElseThrow().remaining()).isEqualTo(2);
        assertThat(buckets.snapshot("a").orElseThrow().spec()).isEqualTo(THREE);
    }

    @Test
    void permits_belowOne_areRefused() {
        TokenBucketTable buckets = table(THREE).build();

        assertThatThrownBy(() -> buckets.decide("a", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> buckets.release("a", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manyKeys_eachKeepItsState_asTheTablesGrow() {
        TokenBucketTable buckets = table(THREE).build();
        int keys = 50_000;

        for (int i = 0; i < keys; i++) {
            assertThat(buckets.tryAcquire("k" + i, 1 + i % 3)).isTrue();
        }

        assertThat(buckets.size()).isEqualTo(keys);
        for (int i = 0; i < keys; i++) {
            assertThat(buckets.snapshot("k" + i).orElseThrow().remaining())
                    .as("k%d", i)
                    .isEqualTo(2 - i % 3);
        }
        Set<String> listed = new HashSet<>();
        buckets.forEachKey(listed::add);
        assertThat(listed).hasSize(keys).contains("k0", "k" + (keys - 1));
    }

    @Test
    void anUnlistedTableKeepsNoKeysTextButEveryKeysBucket() {
        TokenBucketTable buckets = table(THREE).unlisted().build();
        String prefix = "k".repeat(250);
        String key = prefix + "-a"; // made here: only this test and the table could hold it
        java.lang.ref.WeakReference<String> text = new java.lang.ref.WeakReference<>(key);
        assertThat(buckets.tryAcquire(key, 1)).isTrue();
        key = null;

        for (int i = 0; i < 20 && text.get() != null; i++) {
            System.gc();
        }

        assertThat(text.get()).as("the key's text, once its caller let it go").isNull();
        assertThat(buckets.snapshot(prefix + "-a").orElseThrow().remaining()).isEqualTo(2);
        assertThat(buckets.snapshot(prefix + "-b")).isEmpty();
        assertThatThrownBy(() -> buckets.forEachKey(k -> {})).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sweep_evictsKeysFullForTheirIdleTime_andOnlyThose() {
        TokenBucketTable buckets = table(THREE).idleTime(Duration.ofSeconds(10)).build();
        buckets.tryAcquire("a", 1); // full at 1 s
        buckets.tryAcquire("b", 3); // full at 3 s

        clock.advanceNanos(11 * SECOND - 1);
        assertThat(buckets.sweep(100)).isZero();
        clock.advanceNanos(1);
        assertThat(buckets.sweep(100)).isEqualTo(1);
        assertThat(buckets.snapshot("a")).isEmpty();
        assertThat(buckets.snapshot("b")).isPresent();

        clock.advanceNanos(1_000 * SECOND); // long after the last change: the full time is read back exactly
        assertThat(buckets.sweep(100)).isEqualTo(1);
        assertThat(buckets.size()).isZero();
        assertThat(buckets.evictions()).isEqualTo(2);

        assertThat(buckets.tryAcquire("a", 3))
                .as("an evicted key comes back full")
                .isTrue();
    }

    @Test
    void sweep_evictsABucketIdleLongerThanItsWordsCanTell() {
        // a rate in lowest terms of nearly 10^9 units a nanosecond: its words wrap within seconds
        TokenBucketTable buckets = table(LimitSpec.tokenBucket(1, 999_999_937, Duration.ofSeconds(1)))
                .idleTime(Duration.ofSeconds(10))
                .build();
        buckets.tryAcquire("a", 1);

        clock.advanceNanos(100 * SECOND);
        assertThat(buckets.sweep(100)).isEqualTo(1);
    }

    @Test
    void sweep_looksAtAtMostItsBatch() {
        TokenBucketTable buckets = table(THREE).build();
        for (int i = 0; i < 100; i++) {
            buckets.tryAcquire("k" + i, 1);
        }
        clock.advanceNanos(10 * SECOND);

        assertThat(buckets.sweep(10)).isEqualTo(10);
        assertThat(buckets.size()).isEqualTo(90);
        int swept = 10;
        for (int round = 0; round < 20 && buckets.size() > 0; round++) {
            swept += buckets.sweep(10);
        }
        assertThat(swept).isEqualTo(100);
        assertThat(buckets.size()).isZero();
    }

    @Test
    void aFloodOfNewKeys_staysWithinTheBound_forgettingTheSoonestToBeForgotten() {
        TokenBucketTable buckets =
                table(THREE).maximumKeys(1_000).idleTime(Duration.ofHours(1)).build();

        for (int i = 0; i < 20_000; i++) {
            assertThat(buckets.decide("flood-" + i, 1).allowed()).isTrue();
            assertThat(buckets.size()).isLessThanOrEqualTo(1_000);
        }

        assertThat(buckets.size()).isEqualTo(1_000);
        assertThat(buckets.evictions()).isEqualTo(19_000);
        assertThat(buckets.refusals()).isZero();
    }

    @Test
    void aSegmentRebuiltForItsGoneSlots_keepsItsKeys() {
        // churn within the bound: evicted keys leave GONE slots, which inserts reuse or a rebuild drops
        TokenBucketTable buckets = table(THREE).maximumKeys(100).build();
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < 100; i++) {
                assertThat(buckets.tryAcquire("r" + round + "-" + i, 1)).isTrue();
            }
            for (int i = 0; i < 100; i++) {
                assertThat(buckets.snapshot("r" + round + "-" + i).orElseThrow().remaining())
                        .isEqualTo(2);
            }
            clock.advanceNanos(10 * SECOND);
            buckets.sweep(1_000);
            assertThat(buckets.size()).isZero();
        }
        assertThat(buckets.evictions()).isEqualTo(5_000);
    }

    @Test
    void builder_refusesNonsense() {
        assertThatThrownBy(() -> TokenBucketTable.builder(THREE).maximumKeys(0))
                .hasMessage("maximumKeys: 0 (expected: >= 1)");
        assertThatThrownBy(() -> TokenBucketTable.builder(THREE).idleTime(Duration.ofSeconds(-1)))
                .hasMessage("idleTime: PT-1S (expected: >= PT0S)");
    }
}
