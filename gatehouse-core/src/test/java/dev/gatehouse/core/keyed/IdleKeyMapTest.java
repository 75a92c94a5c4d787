package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IdleKeyMapTest {

    private static final long SECOND = 1_000_000_000L;

    private final ManualClock clock = new ManualClock();
    private final AtomicLong looks = new AtomicLong();

    /** An entry idle since its last use, unless marked busy; counts how often the map asks. */
    private final class Used extends IdleKeyMap.Entry {
        final long idleNanos;
        volatile long lastUsedNanos = clock.nowNanos();
        volatile boolean busy;
        volatile boolean refusesClaims;
        volatile boolean usedWhenClaimed;
        int unclaims;

        Used(String key, long idleNanos) {
            super(key);
            this.idleNanos = idleNanos;
        }

        void use() {
            lastUsedNanos = clock.nowNanos();
        }

        @Override
        protected long idleSinceNanos() {
            looks.incrementAndGet();
            return busy ? Long.MAX_VALUE : lastUsedNanos;
        }

        @Override
        protected long idleNanos() {
            return idleNanos;
        }

        @Override
        protected boolean claim() {
            if (usedWhenClaimed) {
                use(); // a user came back between the map's look and its claim
            }
            return !refusesClaims;
        }

        @Override
        protected void unclaim() {
            unclaims++;
        }
    }

    private IdleKeyMap.Builder<Used> map() {
        return IdleKeyMap.<Used>builder().clock(clock);
    }

    // --- lookups and the owner's changes --------------------------------------------------------------

    @Test
    void putIfAbsent_newKey_insertsIt_andAnExistingKeyKeepsItsEntry() {
        IdleKeyMap<Used> map = map().build();
        Used first = new Used("k", SECOND);

        assertThat(map.putIfAbsent(first)).isSameAs(first);
        assertThat(map.putIfAbsent(new Used("k", SECOND))).isSameAs(first);
        assertThat(map.get("k")).isSameAs(first);
        assertThat(map.get("other")).isNull();
        assertThat(map.size()).isEqualTo(1);
    }

    @Test
    void put_existingKey_replacesItsEntry_andTheOldOneIsNeverSwept() {
        IdleKeyMap<Used> map = map().build();
        Used old = new Used("k", SECOND);
        map.put(old);
        Used fresh = new Used("k", 5 * SECOND);

        assertThat(map.put(fresh)).isTrue();
        clock.advanceNanos(SECOND);

        assertThat(map.get("k")).isSameAs(fresh);
        assertThat(map.sweep(10)).isZero(); // the old one was idle long enough, but it is no longer there
        assertThat(map.size()).isEqualTo(1);
        assertThat(map.evictions()).isZero();
    }

    @Test
    void replace_onlyTheKeysCurrentEntry() {
        IdleKeyMap<Used> map = map().build();
        Used current = new Used("k", SECOND);
        map.put(current);
        Used replacement = new Used("k", SECOND);

        assertThat(map.replace(new Used("k", SECOND), replacement)).isFalse();
        assertThat(map.replace(current, replacement)).isTrue();
        assertThat(map.get("k")).isSameAs(replacement);
        assertThat(map.replace(current, new Used("k", SECOND))).isFalse();
        assertThatThrownBy(() -> map.replace(replacement, new Used("other", SECOND)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replacement: key other (expected: the key of the entry replaced, k)");
    }

    @Test
    void remove_byEntryOrKey_andClear() {
        IdleKeyMap<Used> map = map().build();
        Used a = new Used("a", SECOND);
        Used b = new Used("b", SECOND);
        map.put(a);
        map.put(b);
        map.put(new Used("c", SECOND));

        assertThat(map.remove(new Used("a", SECOND))).isFalse();
        assertThat(map.remove(a)).isTrue();
        assertThat(map.remove("b")).isSameAs(b);
        assertThat(map.remove("b")).isNull();
        map.clear();

        assertThat(map.size()).isZero();
        assertThat(map.get("c")).isNull();
        assertThat(map.evictions()).isZero(); // the owner's removals are not the map's
    }

    // --- forgetting idle entries ----------------------------------------------------------------------

    @Test
    void sweep_forgetsEachEntryAfterItsOwnIdleTime_notANanosecondBefore() {
        IdleKeyMap<Used> map = map().build();
        map.put(new Used("short", SECOND));
        map.put(new Used("long", 3 * SECOND));

        clock.advanceNanos(SECOND - 1);
        assertThat(map.sweep(10)).isZero();
        clock.advanceNanos(1);
        assertThat(map.sweep(10)).isEqualTo(1);
        assertThat(map.get("short")).isNull();
        clock.advanceNanos(2 * SECOND - 1);
        assertThat(map.sweep(10)).isZero();
        clock.advanceNanos(1);
        assertThat(map.sweep(10)).isEqualTo(1);

        assertThat(map.size()).isZero();
        assertThat(map.evictions()).isEqualTo(2);
    }

    @Test
    void sweep_entryUsedWithinItsIdleTime_isKept() {
        IdleKeyMap<Used> map = map().build();
        Used entry = new Used("k", SECOND);
        map.put(entry);

        for (int i = 0; i < 10; i++) {
            clock.advanceNanos(SECOND - 1);
            entry.use();
            assertThat(map.sweep(10)).isZero();
        }

        assertThat(map.get("k")).isSameAs(entry);
        clock.advanceNanos(SECOND);
        assertThat(map.isExpired(entry, clock.nowNanos())).isTrue();
        assertThat(map.sweep(10)).isEqualTo(1);
    }

    @Test
    void sweep_entryInUse_isKept_howeverLongAgoItWasLastIdle() {
        IdleKeyMap<Used> map = map().build();
        Used entry = new Used("k", 0);
        map.put(entry);
        entry.busy = true;

        clock.advanceNanos(1_000 * SECOND);

        assertThat(map.isExpired(entry, clock.nowNanos())).isFalse();
        assertThat(map.sweep(10)).isZero();
        assertThat(map.get("k")).isSameAs(entry);
    }

    @Test
    void sweep_entryThatRefusesTheClaim_isKept() {
        IdleKeyMap<Used> map = map().build();
        Used entry = new Used("k", 0);
        map.put(entry);
        entry.refusesClaims = true;
        clock.advanceNanos(SECOND);

        assertThat(map.sweep(10)).isZero();
        assertThat(map.get("k")).isSameAs(entry);
    }

    @Test
    void sweep_entryUsedBetweenTheLookAndTheClaim_isKept_andTheClaimGivenBack() {
        IdleKeyMap<Used> map = map().build();
        Used entry = new Used("k", SECOND);
        map.put(entry);
        clock.advanceNanos(SECOND);
        entry.usedWhenClaimed = true;

        assertThat(map.sweep(10)).isZero();

        assertThat(map.get("k")).isSameAs(entry);
        assertThat(entry.unclaims).isEqualTo(1);
    }

    @Test
    void sweep_walksInBoundedSteps_goingOnWhereTheLastStopped() {
        IdleKeyMap<Used> map = map().build();
        for (int i = 0; i < 100; i++) {
            map.put(new Used("k" + i, SECOND));
        }
        clock.advanceNanos(SECOND);

        int calls = 0;
        while (map.size() > 0) {
            assertThat(map.sweep(7)).isLessThanOrEqualTo(7);
            calls++;
        }
        assertThat(calls).isEqualTo(15);
        assertThat(map.evictions()).isEqualTo(100);
    }

    @Test
    void sweep_afterAFloodOfKeys_looksAtTheLiveKeysOnly() {
        IdleKeyMap<Used> map = map().maximumKeys(1_000_000).build();
        for (int i = 0; i < 200_000; i++) {
            map.put(new Used("flood-" + i, SECOND));
        }
        clock.advanceNanos(SECOND);
        while (map.size() > 0) {
            map.sweep(4096);
        }
        map.put(new Used("live", SECOND));
        looks.set(0);

        assertThat(map.sweep(4096)).isZero();

        assertThat(looks.get()).isEqualTo(1);
    }

    @Test
    void ownersRemovals_leaveTheSweepOrderWithinASmallFactorOfTheMap() {
        IdleKeyMap<Used> map = map().build();
        for (int i = 0; i < 1_000; i++) {
            map.put(new Used("live-" + i, SECOND));
        }
        for (int i = 0; i < 100_000; i++) { // every insert is removed again by its owner, never swept
            Used passing = new Used("passing-" + i, SECOND);
            map.put(passing);
            map.remove(passing);
        }

        assertThat(map.size()).isEqualTo(1_000);
        assertThat(map.orderLength()).isLessThanOrEqualTo(2 * 1_000);
    }

    @Test
    void replacingEveryEntryAgainAndAgain_leavesTheSweepOrderWithinASmallFactorOfTheMap() {
        IdleKeyMap<Used> map = map().build();
        for (int round = 0; round < 100; round++) {
            for (int i = 0; i < 1_000; i++) {
                map.put(new Used("k" + i, SECOND));
            }
        }

        assertThat(map.size()).isEqualTo(1_000);
        assertThat(map.orderLength()).isLessThanOrEqualTo(2 * 1_000);
        assertThat(map.sweep(10)).isZero();
    }

    // --- the bound ------------------------------------------------------------------------------------

    @Test
    void full_refuse_refusesNewKeysWhileEveryEntryIsWithinItsIdleTime() {
        IdleKeyMap<Used> map = map().maximumKeys(3).build();
        for (int i = 0; i < 3; i++) {
            map.put(new Used("k" + i, SECOND));
        }

        assertThat(map.putIfAbsent(new Used("new", SECOND))).isNull();
        assertThat(map.put(new Used("new", SECOND))).isFalse();
        assertThat(map.put(new Used("k1", 2 * SECOND))).isTrue(); // a key it holds is replaced, full or not
        assertThat(map.refusals()).isEqualTo(2);
        assertThat(map.size()).isEqualTo(3);

        clock.advanceNanos(SECOND); // k0 and k2 are past their idle time
        Used newcomer = new Used("new", SECOND);
        assertThat(map.putIfAbsent(newcomer)).isSameAs(newcomer);
        assertThat(map.size()).isLessThanOrEqualTo(3);
        assertThat(map.get("k1")).isNotNull();
    }

    @Test
    void full_forgetSoonest_forgetsTheEntryThatWouldGoFirst_evenWithinItsIdleTime() {
        IdleKeyMap<Used> map = map().maximumKeys(3)
                .whenFull(IdleKeyMap.WhenFull.FORGET_SOONEST)
                .build();
        map.put(new Used("long", 10 * SECOND));
        map.put(new Used("soonest", 2 * SECOND));
        Used busy = new Used("busy", 0);
        map.put(busy);
        busy.busy = true;

        Used newcomer = new Used("new", SECOND);
        assertThat(map.putIfAbsent(newcomer)).isSameAs(newcomer);

        assertThat(map.get("soonest")).isNull();
        assertThat(map.get("long")).isNotNull();
        assertThat(map.get("busy")).isSameAs(busy);
        assertThat(map.evictions()).isEqualTo(1);
    }

    @Test
    void full_forgetSoonest_refusesWhenEveryEntryIsInUse() {
        IdleKeyMap<Used> map = map().maximumKeys(2)
                .whenFull(IdleKeyMap.WhenFull.FORGET_SOONEST)
                .build();
        List<Used> busy = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Used entry = new Used("busy-" + i, 0);
            map.put(entry);
            entry.busy = true;
            busy.add(entry);
        }

        assertThat(map.putIfAbsent(new Used("new", 0))).isNull();
        assertThat(map.refusals()).isEqualTo(1);

        busy.get(1).busy = false; // one is done: room for one newcomer
        Used newcomer = new Used("new", 0);
        assertThat(map.putIfAbsent(newcomer)).isSameAs(newcomer);
        assertThat(map.get("busy-0")).isSameAs(busy.get(0));
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void removedEntry_cannotBeInsertedAgain() {
        IdleKeyMap<Used> map = map().build();
        Used entry = new Used("k", SECOND);
        map.put(entry);
        map.remove(entry);

        assertThatThrownBy(() -> map.put(entry))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("entry: k, removed from a map before (expected: a new entry)");
    }

    @Test
    void builder_rejectsBadValues() {
        assertThatThrownBy(() -> map().maximumKeys(0)).hasMessage("maximumKeys: 0 (expected: >= 1)");
        assertThatThrownBy(() -> map().clock(null)).hasMessage("clock: null (expected: a clock)");
    }

    @Test
    void putIfAbsent_refuseModeFull_whileAnotherInsertHoldsTheLock_refusesAtOnceInsteadOfWaiting() throws Exception {
        IdleKeyMap<IdleKeyMap.Entry> map = IdleKeyMap.<IdleKeyMap.Entry>builder()
                .clock(clock)
                .maximumKeys(1)
                .whenFull(IdleKeyMap.WhenFull.REFUSE)
                .build();
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        map.putIfAbsent(new IdleKeyMap.Entry("slow") {
            @Override
            protected long idleSinceNanos() {
                return clock.nowNanos() - 2 * SECOND; // expired: the next insert tries to forget it
            }

            @Override
            protected long idleNanos() {
                return SECOND;
            }

            @Override
            protected boolean claim() { // runs under the map's lock
                claimed.countDown();
                awaitUninterruptibly(release);
                return true;
            }
        });
        ExecutorService threads = Executors.newFixedThreadPool(2); // not the common pool: one thread on 2 cores
        CompletableFuture<IdleKeyMap.Entry> holder =
                CompletableFuture.supplyAsync(() -> map.putIfAbsent(entry("a")), threads);
        assertThat(claimed.await(10, TimeUnit.SECONDS))
                .as("the first insert holds the lock")
                .isTrue();

        try {
            CompletableFuture<IdleKeyMap.Entry> second =
                    CompletableFuture.supplyAsync(() -> map.putIfAbsent(entry("b")), threads);
            IdleKeyMap.Entry refused = second.get(10, TimeUnit.SECONDS); // a hang guard, not a timing

            release.countDown();
            assertThat(refused).isNull();
            assertThat(holder.get(10, TimeUnit.SECONDS).key()).isEqualTo("a");
            assertThat(map.refusals()).isEqualTo(1);
            assertThat(map.size()).isEqualTo(1);
        } finally {
            release.countDown();
            threads.shutdown();
        }
    }

    private IdleKeyMap.Entry entry(String key) {
        return new IdleKeyMap.Entry(key) {
            @Override
            protected long idleSinceNanos() {
                return clock.nowNanos();
            }

            @Override
            protected long idleNanos() {
                return SECOND;
            }
        };
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
