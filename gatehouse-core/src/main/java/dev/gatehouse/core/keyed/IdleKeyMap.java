package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A map from keys to entries that holds at most a fixed number of keys and forgets an entry once it
 * has been idle for its idle time. Each entry says since when it is idle and how long it is kept
 * then; {@link #sweep} forgets idle entries in bounded steps. Safe for concurrent use.
 *
 * @param <E> the entry type
 */
public final class IdleKeyMap<E extends IdleKeyMap.Entry> {

    /*
     * Design: a ConcurrentHashMap from key to entry, so lookups take no lock, and a queue of the
     * entries in sweep order, under one lock taken by every insert of a new key. A sweep step takes
     * entries at the head and either forgets them (idle past their idle time) or moves them to the
     * tail, so sweeping costs in proportion to the entries looked at, whatever the map's table grew
     * to during a flood (a walk over the map itself would visit every empty bucket of a table that
     * never shrinks). An entry that leaves the map another way (replaced, removed by its owner) is
     * marked, and dropped from the queue when a step meets it; a step looks at up to its budget of
     * live entries and drops at most as many marked ones on the way, so each step is bounded and the
     * queue stays within a small factor of the map (every insert also takes a small step).
     *
     * The bound is exact: a new key is inserted, under the lock, only when there is room or room was
     * made. Making room looks at a few samples from the head of the queue and forgets the sampled
     * entry that would be forgotten soonest: once its idle time is up (WhenFull.REFUSE), or at once
     * if it is idle or will be (WhenFull.FORGET_SOONEST). When the samples held nothing to forget,
     * the new key is refused and the refusal counted; the caller decides what that means (a call
     * decided without state, an override that is not kept, a denial that is not cached). The
     * sampling may refuse a key while a forgettable entry sits elsewhere in the queue, which the
     * rotation brings into a later sample.
     *
     * An entry may be in use in ways the map cannot see (a registry's limiter with a call under
     * way): before forgetting it on its own, the map claims it (Entry.claim, which the entry may
     * refuse) and checks once more, claimed, that it may go; if not, the claim is given back. The
     * owner's own removals and replacements do not claim. Trade-off: entries are asked for their idle
     * times under the lock, so those methods must be quick and must not call back into the map.
     */

    private static final int SWEEP_PER_INSERT = 2;
    private static final int EVICTION_SAMPLE = 8;
    private static final int EVICTION_ATTEMPTS = 4;

    private final ConcurrentHashMap<String, E> entries = new ConcurrentHashMap<>();
    private final ReentrantLock orderLock = new ReentrantLock();
    private final ArrayDeque<E> order = new ArrayDeque<>();
    private final NanoClock clock;
    private final int maximumKeys;
    private final WhenFull whenFull;
    private final LongAdder evictions = new LongAdder();
    private final LongAdder refusals = new LongAdder();

    private IdleKeyMap(Builder<E> builder) {
        this.clock = builder.clock;
        this.maximumKeys = builder.maximumKeys;
        this.whenFull = builder.whenFull;
    }

    /** A builder of a map of entries of type {@code E}. */
    public static <E extends Entry> Builder<E> builder() {
        return new Builder<>();
    }

    /** The entry of {@code key}, or null; an entry past its idle time is returned until it is forgotten. */
    public @Nullable E get(String key) {
        return entries.get(key);
    }

    /**
     * Inserts {@code entry} unless its key has one already. Returns {@code entry} if it was inserted,
     * the key's entry if it had one, or null if the map is full of entries it could not forget: then
     * {@code entry} is not kept.
     */
    public @Nullable E putIfAbsent(E entry) {
        String key = checkNew(entry).key();
        E existing = entries.get(key);
        if (existing != null) {
            return existing;
        }
        if (!lockForNewKey()) {
            return null;
        }
        try {
            existing = entries.get(key); // new keys are inserted under the lock only: this answer holds
            if (existing != null) {
                return existing;
            }
            long now = clock.nowNanos();
            sweepSome(SWEEP_PER_INSERT, now);
            if (!haveRoom()) {
                return null;
            }
            entries.put(key, entry);
            order.addLast(entry);
            return entry;
        } finally {
            orderLock.unlock();
        }
    }

    /**
     * Keeps {@code entry} for its key, replacing the key's entry if it has one (without claiming it:
     * the owner decides). Returns false if the key is new and the map is full of entries it could not
     * forget: then {@code entry} is not kept.
     */
    @SuppressWarnings("ReferenceEquality") // the same entry put again is no replacement
    public boolean put(E entry) {
        String key = checkNew(entry).key();
        if (entries.containsKey(key)) {
            orderLock.lock();
        } else if (!lockForNewKey()) {
            return false;
        }
        try {
            long now = clock.nowNanos();
            sweepSome(SWEEP_PER_INSERT, now);
            if (!entries.containsKey(key) && !haveRoom()) {
                return false;
            }
            E previous = entries.put(key, entry);
            if (previous != entry) {
                if (previous != null) {
                    markRemoved(previous);
                }
                order.addLast(entry);
            }
            return true;
        } finally {
            orderLock.unlock();
        }
    }

    /**
     * Replaces {@code current} by {@code replacement} (an entry of the same key) if {@code current} is
     * still its key's entry; returns whether it did. The map does not claim {@code current}: a caller
     * that needs it unused claims it first, as only it may.
     */
    public boolean replace(E current, E replacement) {
        String key = current.key();
        if (!key.equals(checkNew(replacement).key())) {
            throw new IllegalArgumentException("replacement: key " + replacement.key()
                    + " (expected: the key of the entry replaced, " + key + ")");
        }
        if (!entries.replace(key, current, replacement)) {
            return false;
        }
        markRemoved(current);
        orderLock.lock();
        try {
            order.addLast(replacement);
            sweepSome(SWEEP_PER_INSERT, clock.nowNanos()); // also drops replaced entries from the order
        } finally {
            orderLock.unlock();
        }
        return true;
    }

    /** Removes {@code entry} if it is still its key's entry (without claiming it); returns whether it did. */
    public boolean remove(E entry) {
        if (entries.remove(entry.key(), entry)) {
            markRemoved(entry);
            return true;
        }
        return false;
    }

    /** Removes the entry of {@code key}, if any (without claiming it), and returns it. */
    public @Nullable E remove(String key) {
        E removed = entries.remove(key);
        if (removed != null) {
            markRemoved(removed);
        }
        return removed;
    }

    /** Removes every entry (without claiming them); a cost in proportion to the map's table. */
    public void clear() {
        for (E entry : entries.values()) {
            remove(entry);
        }
    }

    /** Whether {@code entry} has been idle for its idle time at {@code nowNanos} (on this map's clock). */
    public boolean isExpired(E entry, long nowNanos) {
        return isExpired(entry, entry.idleSinceNanos(), nowNanos);
    }

    /**
     * Looks at up to {@code maxEntries} entries, continuing where the last look stopped, and forgets
     * those that have been idle for their idle time (dropping on the way up to as many that left the
     * map otherwise). Returns how many it forgot; returns 0 at once if another thread is sweeping or
     * inserting.
     */
    public int sweep(int maxEntries) {
        if (!orderLock.tryLock()) {
            return 0;
        }
        try {
            return sweepSome(maxEntries, clock.nowNanos());
        } finally {
            orderLock.unlock();
        }
    }

    /** Number of keys held, expired ones included until they are forgotten. */
    public int size() {
        return entries.size();
    }

    /** Entries forgotten so far by the map itself: idle, or to make room. */
    public long evictions() {
        return evictions.sum();
    }

    /** New keys refused so far because the map was full of entries it could not forget. */
    public long refusals() {
        return refusals.sum();
    }

    /** Calls {@code action} for every entry, in no particular order, without copying. */
    public void forEach(Consumer<? super E> action) {
        entries.values().forEach(action);
    }

    /** Entries in the sweep order, those that left the map but are not yet dropped included (for tests). */
    int orderLength() {
        orderLock.lock();
        try {
            return order.size();
        } finally {
            orderLock.unlock();
        }
    }

    // ----------------------------------------------------------------------------------------------

    /** Under the lock: looks at up to {@code maxLive} live entries from the head of the sweep order. */
    private int sweepSome(int maxLive, long now) {
        int evicted = 0;
        int live = 0;
        // at most the queue's length, so that no entry is looked at twice in one step
        for (long looks = Math.min(order.size(), 2L * maxLive); looks > 0 && live < maxLive; looks--) {
            E next = order.pollFirst();
            if (isRemoved(next)) {
                continue;
            }
            live++;
            if (isExpired(next, next.idleSinceNanos(), now) && forget(next, true)) {
                evicted++;
            } else {
                order.addLast(next);
            }
        }
        return evicted;
    }

    /**
     * Takes the lock to insert a new key. A {@link WhenFull#REFUSE} map that is full refuses at once
     * (and counts it) when another insert holds the lock, instead of queuing behind it: under a flood
     * of new keys every one would be refused anyway, and the callers are event loops.
     */
    private boolean lockForNewKey() {
        if (whenFull == WhenFull.REFUSE && entries.size() >= maximumKeys) {
            if (orderLock.tryLock()) {
                return true;
            }
            refusals.increment();
            return false;
        }
        orderLock.lock();
        return true;
    }

    /** Under the lock: whether a new key may be inserted, making room if needed; counts a refusal. */
    private boolean haveRoom() {
        int failedSamples = 0;
        while (entries.size() >= maximumKeys) {
            if (!forgetOneSampled() && ++failedSamples == EVICTION_ATTEMPTS) {
                refusals.increment();
                return false;
            }
        }
        return true;
    }

    /**
     * Under the lock: forgets the sampled entry that would be forgotten soonest, if {@link #whenFull}
     * allows; false if none could be.
     */
    private boolean forgetOneSampled() {
        E victim = null;
        long victimForgottenAt = Long.MAX_VALUE;
        for (int i = Math.min(EVICTION_SAMPLE, order.size()); i > 0; i--) {
            E next = order.pollFirst();
            if (isRemoved(next)) {
                continue;
            }
            order.addLast(next);
            long idleSince = next.idleSinceNanos();
            if (idleSince == Long.MAX_VALUE) {
                continue; // in use
            }
            long forgottenAt = saturatedAdd(idleSince, next.idleNanos());
            if (victim == null || forgottenAt < victimForgottenAt) {
                victim = next;
                victimForgottenAt = forgottenAt;
            }
        }
        return victim != null && forget(victim, whenFull == WhenFull.REFUSE);
    }

    /**
     * Under the lock: removes {@code entry} if it can be claimed and, claimed, is still idle (or
     * going to be) and, when {@code onlyIfExpired}, past its idle time: a user may have come back
     * between the look and the claim.
     */
    private boolean forget(E entry, boolean onlyIfExpired) {
        if (!entry.claim()) {
            return false;
        }
        long idleSince = entry.idleSinceNanos();
        if (idleSince == Long.MAX_VALUE || (onlyIfExpired && !isExpired(entry, idleSince, clock.nowNanos()))) {
            entry.unclaim();
            return false;
        }
        boolean removed = entries.remove(entry.key(), entry);
        markRemoved(entry);
        if (removed) {
            evictions.increment();
        }
        return removed;
    }

    private static boolean isExpired(Entry entry, long idleSinceNanos, long nowNanos) {
        return idleSinceNanos != Long.MAX_VALUE && nowNanos - idleSinceNanos >= entry.idleNanos();
    }

    /** An entry is inserted once: the sweep order would drop it again, unseen, as a removed one. */
    private static <E extends Entry> E checkNew(E entry) {
        if (isRemoved(entry)) {
            throw new IllegalArgumentException(
                    "entry: " + entry.key() + ", removed from a map before (expected: a new entry)");
        }
        return entry;
    }

    // through Entry, as a type variable does not give access to its bound's private fields
    private static void markRemoved(Entry entry) {
        entry.removed = true;
    }

    private static boolean isRemoved(Entry entry) {
        return entry.removed;
    }

    /** {@code a + b}, or {@link Long#MAX_VALUE} when it overflows ({@code b}, a duration, is never negative). */
    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * An entry of an {@link IdleKeyMap}: a key, and what the map asks to know when to forget it.
     * Times are nanoseconds on the map's clock. An entry belongs to one map and is inserted once; a
     * key that comes back gets a new entry.
     */
    public abstract static class Entry {
        private final String key;
        /** No longer its key's entry: the sweep order drops it when it meets it. */
        private volatile boolean removed;

        protected Entry(String key) {
            this.key = Objects.requireNonNull(key, "key");
        }

        public final String key() {
            return key;
        }

        /**
         * Since when this entry has been idle (possibly a time to come, for one that will be idle
         * then unless used again), or {@link Long#MAX_VALUE} while it is in use and must be kept.
         */
        protected abstract long idleSinceNanos();

        /** How long this entry is kept once idle. */
        protected abstract long idleNanos();

        /**
         * Called before the map forgets this entry on its own; returning false keeps it (it is in use).
         * A successful claim is followed either by the entry's removal or by {@link #unclaim}. The
         * default claims at once.
         */
        protected boolean claim() {
            return true;
        }

        /** Gives back a claim: the entry was found in use after all and stays. */
        protected void unclaim() {}
    }

    /** An entry idle from its last use on: {@link #used} moves that time. */
    public abstract static class LastUse extends Entry {
        private volatile long lastUsedNanos;

        protected LastUse(String key, long lastUsedNanos) {
            super(key);
            this.lastUsedNanos = lastUsedNanos;
        }

        /** Notes a use at {@code nowNanos}. */
        public final void used(long nowNanos) {
            lastUsedNanos = nowNanos;
        }

        @Override
        protected final long idleSinceNanos() {
            return lastUsedNanos;
        }
    }

    /** What a full map does with a new key. */
    public enum WhenFull {
        /** Forgets an entry past its idle time to make room; when the samples hold none, refuses the new key. */
        REFUSE,
        /**
         * Forgets the sampled entry that would be forgotten soonest even before its idle time is up
         * (for entries whose idle time is a grace period, not a promise); refuses the new key only
         * when every sampled entry is in use.
         */
        FORGET_SOONEST
    }

    /** Configures an {@link IdleKeyMap}. */
    public static final class Builder<E extends Entry> {
        private NanoClock clock = NanoClock.system();
        private int maximumKeys = 1_000_000;
        private WhenFull whenFull = WhenFull.REFUSE;

        private Builder() {}

        /** The most keys held at once (default one million). */
        public Builder<E> maximumKeys(int maximumKeys) {
            this.maximumKeys = Require.atLeast("maximumKeys", maximumKeys, 1);
            return this;
        }

        /** The clock entries' times are read on (default: the system clock). */
        public Builder<E> clock(NanoClock clock) {
            this.clock = NanoClock.monotonic(Require.given("clock", clock, "a clock"));
            return this;
        }

        /** What a full map does with a new key (default {@link WhenFull#REFUSE}). */
        public Builder<E> whenFull(WhenFull whenFull) {
            this.whenFull = Require.given("whenFull", whenFull, "REFUSE or FORGET_SOONEST");
            return this;
        }

        public IdleKeyMap<E> build() {
            return new IdleKeyMap<>(this);
        }
    }
}
