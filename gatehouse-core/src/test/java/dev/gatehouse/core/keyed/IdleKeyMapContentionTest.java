package dev.gatehouse.core.keyed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.RandomCases;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Threads use, replace and remove entries of more keys than the map may hold, and sweep it, all at
 * once, in rounds between which the clock moves on: the map never holds more than its bound, never
 * forgets an entry while it is in use, and (when it only forgets what is idle) never forgets an entry
 * used within its idle time.
 */
class IdleKeyMapContentionTest {

    private static final int THREADS = 4;
    private static final int KEYS = 2_000;
    private static final int BOUND = 500;
    private static final int ROUNDS = 30;
    private static final int OPERATIONS_PER_ROUND = 2_000;
    private static final long[] IDLE_NANOS = {0, 1, 2, 5};

    private final ManualClock clock = new ManualClock();

    static LongStream seeds() {
        return RandomCases.seeds(4);
    }

    /**
     * An entry used through a count of users, as the registry's: busy while someone uses it, and
     * claimed by retiring it, which only an unused entry allows.
     */
    private final class Counted extends IdleKeyMap.Entry {
        private static final int RETIRED = Integer.MIN_VALUE / 2;

        final long idleNanos;
        final AtomicInteger users;
        volatile long lastUsedNanos = clock.nowNanos();
        volatile boolean removedByOwner;

        Counted(String key, long idleNanos, int users) {
            super(key);
            this.idleNanos = idleNanos;
            this.users = new AtomicInteger(users);
        }

        boolean enter() {
            if (users.getAndIncrement() >= 0) {
                return true;
            }
            users.decrementAndGet();
            return false;
        }

        void exit() {
            users.decrementAndGet();
        }

        @Override
        protected long idleSinceNanos() {
            return users.get() > 0 ? Long.MAX_VALUE : lastUsedNanos;
        }

        @Override
        protected long idleNanos() {
            return idleNanos;
        }

        @Override
        protected boolean claim() {
            return users.compareAndSet(0, RETIRED);
        }

        @Override
        protected void unclaim() {
            users.addAndGet(-RETIRED);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void whenFullRefuse_boundHeld_entriesInUseKept_entriesUsedWithinTheirIdleTimeKept(long seed)
            throws InterruptedException {
        run(seed, IdleKeyMap.WhenFull.REFUSE, /* checkIdleTimeKept= */ true);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void whenFullForgetSoonest_boundHeld_entriesInUseKept(long seed) throws InterruptedException {
        run(seed, IdleKeyMap.WhenFull.FORGET_SOONEST, /* checkIdleTimeKept= */ false);
    }

    private void run(long seed, IdleKeyMap.WhenFull whenFull, boolean checkIdleTimeKept) throws InterruptedException {
        IdleKeyMap<Counted> map = IdleKeyMap.<Counted>builder()
                .clock(clock)
                .maximumKeys(BOUND)
                .whenFull(whenFull)
                .build();
        AtomicLong refused = new AtomicLong();
        AtomicInteger threadIndex = new AtomicInteger();
        SplittableRandom rounds = new SplittableRandom(seed);
        for (int round = 0; round < ROUNDS; round++) {
            ConcurrentLinkedQueue<Counted> usedThisRound = new ConcurrentLinkedQueue<>();
            long roundSeed = rounds.nextLong();
            Race.run(THREADS, () -> {
                SplittableRandom random = new SplittableRandom(roundSeed + threadIndex.incrementAndGet());
                for (int i = 0; i < OPERATIONS_PER_ROUND; i++) {
                    String key = "k" + random.nextInt(KEYS);
                    int operation = random.nextInt(100);
                    if (operation < 70) {
                        Counted used = use(map, key, random);
                        if (used == null) {
                            refused.incrementAndGet();
                        } else {
                            usedThisRound.add(used);
                        }
                    } else if (operation < 80) {
                        Counted current = map.get(key);
                        if (current != null && current.claim()) {
                            current.removedByOwner = true;
                            Counted replacement = new Counted(key, IDLE_NANOS[random.nextInt(IDLE_NANOS.length)], 0);
                            assertThat(map.replace(current, replacement))
                                    .as("only the claimer moves a claimed entry")
                                    .isTrue();
                            usedThisRound.add(replacement);
                        }
                    } else if (operation < 85) {
                        Counted current = map.get(key);
                        if (current != null && current.claim()) {
                            current.removedByOwner = true;
                            assertThat(map.remove(current)).isTrue();
                        }
                    } else {
                        map.sweep(1 + random.nextInt(64));
                    }
                }
            });
            // at rest, where the count is exact: ConcurrentHashMap's size while others insert and remove
            // is a sum of counters read one by one, which can count a key removed and one inserted after
            // it together (501 of a bound of 500 was seen so, with at most 500 ever held)
            assertThat(map.size())
                    .as("size after round %d (seed %d)", round, seed)
                    .isLessThanOrEqualTo(BOUND);
            if (checkIdleTimeKept) {
                List<Counted> forgotten = new ArrayList<>();
                for (Counted used : usedThisRound) {
                    if (used.idleNanos > 0 && !used.removedByOwner && map.get(used.key()) != used) {
                        forgotten.add(used);
                    }
                }
                assertThat(forgotten)
                        .as("entries used in round %d, within their idle time, then forgotten (seed %d)", round, seed)
                        .isEmpty();
            }
            clock.advanceNanos(rounds.nextInt(4));
        }
        assertThat(map.size()).isLessThanOrEqualTo(BOUND);
        assertThat(map.evictions()).isPositive();
        if (whenFull == IdleKeyMap.WhenFull.REFUSE) {
            assertThat(refused).hasPositiveValue(); // the bound was reached
        }
    }

    /**
     * Uses {@code key}'s entry, creating it if needed: holds it, marks it used now, checks it is
     * still the key's entry while held, and lets go. Returns it, or null if the map refused the key.
     */
    private Counted use(IdleKeyMap<Counted> map, String key, SplittableRandom random) {
        for (; ; ) {
            Counted held = map.get(key);
            if (held == null) {
                Counted fresh = new Counted(key, IDLE_NANOS[random.nextInt(IDLE_NANOS.length)], 1);
                held = map.putIfAbsent(fresh);
                if (held == null) {
                    return null;
                }
                if (held != fresh && !held.enter()) {
                    continue;
                }
            } else if (!held.enter()) {
                Thread.onSpinWait(); // being forgotten or replaced: look again
                continue;
            }
            try {
                held.lastUsedNanos = clock.nowNanos();
                assertThat(map.get(key))
                        .as("an entry in use stays its key's entry")
                        .isSameAs(held);
            } finally {
                held.exit();
            }
            return held;
        }
    }
}
