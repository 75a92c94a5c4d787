package dev.gatehouse.core.keyed;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.SipHash;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.TokenBucketCells;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A token bucket per key, all of one spec, kept side by side in flat tables: a decision reads and
 * writes one slot of 32 bytes (the key's fingerprint, its count of users, its bucket), so a million
 * keys cost one or two cache lines per decision (a slot may straddle two: arrays are only 8-byte
 * aligned) where a map of limiter objects costs a chain of objects. Keys are created on demand,
 * forgotten once full for their idle time ({@link #sweep}), and bounded in number: a new key past the
 * bound takes the place of a sampled key that would be forgotten soonest, and is refused when every
 * sampled key is in use. Keys that exist are used without a lock, but wait while their segment grows;
 * a new key takes its segment's lock. A key is hashed whole: bound its length where it comes from.
 */
public final class TokenBucketTable {

    /*
     * Design. A slot is four longs of a long[]: HEADER, the key's fingerprint (EMPTY and GONE are
     * reserved values), USERS, the number of callers using the slot, and the bucket's two words
     * (TokenBucketCells). The fingerprint is SipHash-1-3 of the key under a key drawn per table, so
     * nobody who has not read this process's memory can pick keys that collide; two keys with the same
     * 64-bit fingerprint (about one chance in 10^7 among a million keys) would share a bucket. Keys
     * themselves sit in a parallel array, read only to list them.
     *
     * Keys spread over segments by the fingerprint's top bits; a segment is an open-addressing table
     * with linear probing, grown by doubling under its lock. Lookups take no lock: they probe from the
     * fingerprint's home slot to the first EMPTY one.
     *
     * Slot reuse is what makes such a table unsafe, and the USERS word is the answer: a caller enters
     * a slot with one atomic add and leaves with another; a slot is retired with one CAS from "no
     * users" to RETIRED, a value so negative that no number of callers adding meanwhile makes it look
     * in use, and only a retired slot's header or bucket is rewritten (or copied, when a segment
     * grows). So a caller that entered a slot whose header is still its fingerprint uses its own key's
     * bucket, never one evicted and handed to another key; one that meets a retired slot, or a
     * header that changed, looks again. EMPTY and GONE slots are retired; GONE (an evicted key) keeps
     * probe chains unbroken and is reused by inserts, and a segment rebuilt when EMPTY slots run
     * short drops them.
     */

    private static final int SLOT = 4;
    private static final int HEADER = 0;
    private static final int USERS = 1;
    private static final int BUCKET = 2;
    private static final long EMPTY = 0;
    private static final long GONE = 1;
    private static final long RETIRED = Long.MIN_VALUE / 2;
    /** Returned by a lookup: the key has no slot. */
    private static final int ABSENT = -1;
    /** Returned by a lookup: the slot met is being evicted or moved, or changed hands; look again. */
    private static final int AGAIN = -2;

    private static final int MIN_SLOTS = 8;
    /** Slots looked at per eviction to make room, and evictions tried before a new key is refused. */
    private static final int EVICTION_SAMPLE = 8;

    private static final int EVICTION_ATTEMPTS = 4;
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    private static final Decision TOO_MANY_KEYS = Decision.tooManyKeys();

    private final TokenBucketCells buckets;
    private final NanoClock clock;
    private final long idleNanos;
    private final int maximumKeys;
    private final boolean listed;
    private final SipHash fingerprints = SipHash.withRandomKey();
    private final Segment[] segments;
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger sweepSegment = new AtomicInteger();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder refusals = new LongAdder();

    private TokenBucketTable(Builder builder) {
        this.clock = builder.clock;
        this.buckets = new TokenBucketCells(builder.spec, clock.nowNanos());
        this.idleNanos = builder.idleNanos;
        this.maximumKeys = builder.maximumKeys;
        this.listed = builder.listed;
        // about a thousand keys a segment at the bound, so that the samples of a full one find keys
        int count = Integer.highestOneBit(Math.clamp(maximumKeys / 1024, 1, 64));
        this.segments = new Segment[count];
        for (int i = 0; i < count; i++) {
            segments[i] = new Segment(MIN_SLOTS);
        }
    }

    /** A table of buckets of {@code spec}. */
    public static Builder builder(TokenBucketSpec spec) {
        return new Builder(Require.given("spec", spec, "a token bucket spec"));
    }

    /** The spec of every bucket. */
    public TokenBucketSpec spec() {
        return buckets.spec();
    }

    /**
     * Takes {@code permits} from {@code key}'s bucket if they are there, creating the key if it is new;
     * {@link Decision#tooManyKeys()} when the key is new and the table is full of keys in use.
     */
    public Decision decide(String key, long permits) {
        Require.atLeast("permits", permits, 1);
        return use(key, permits, true, TokenBucketTable::decide, TOO_MANY_KEYS, TOO_MANY_KEYS);
    }

    /** {@link #decide}, answering whether the permits were taken. */
    public boolean tryAcquire(String key, long permits) {
        Require.atLeast("permits", permits, 1);
        return use(key, permits, true, TokenBucketTable::tryAcquire, false, false);
    }

    /** Gives {@code permits} back to {@code key}'s bucket, if the key has one. */
    public void release(String key, long permits) {
        Require.atLeast("permits", permits, 1);
        use(key, permits, false, TokenBucketTable::release, false, false);
    }

    /** The state of {@code key}'s bucket, if the key has one. */
    public Optional<LimiterSnapshot> snapshot(String key) {
        return use(key, 1, false, TokenBucketTable::snapshot, Optional.empty(), Optional.empty());
    }

    /** Number of keys with a bucket. */
    public int size() {
        return size.get();
    }

    /** Keys evicted so far, for being idle or to stay within the bound. */
    public long evictions() {
        return evictions.sum();
    }

    /** New keys refused so far because the table was full of keys in use. */
    public long refusals() {
        return refusals.sum();
    }

    /**
     * Calls {@code action} for every key, in no particular order; each segment is locked while it is
     * listed. A table built {@link Builder#unlisted() unlisted} has kept none to list.
     */
    public void forEachKey(Consumer<String> action) {
        if (!listed) {
            throw new IllegalStateException("this table keeps no keys to list (built unlisted)");
        }
        for (Segment segment : segments) {
            List<String> keys = new ArrayList<>();
            segment.lock.lock();
            try {
                for (@Nullable String key : segment.keys) {
                    if (key != null) {
                        keys.add(key);
                    }
                }
            } finally {
                segment.lock.unlock();
            }
            keys.forEach(action); // outside the lock: the action may use this table
        }
    }

    /**
     * Looks at up to {@code maxEntries} keys, continuing where the last look stopped, and evicts those
     * whose bucket has been full for the idle time. Returns how many it evicted; skips a segment
     * another thread is inserting into or sweeping.
     */
    public int sweep(int maxEntries) {
        int evicted = 0;
        int budget = maxEntries;
        for (int tried = 0; tried < segments.length && budget > 0; tried++) {
            Segment segment = segments[Math.floorMod(sweepSegment.getAndIncrement(), segments.length)];
            if (!segment.lock.tryLock()) {
                continue;
            }
            try {
                long now = clock.nowNanos();
                long[] slots = segment.slots;
                int count = slots.length / SLOT;
                // every slot of the segment at most once; empty ones cost a look, not a unit of budget
                for (int looked = 0; looked < count && budget > 0; looked++) {
                    int at = segment.sweepAt * SLOT;
                    segment.sweepAt = (segment.sweepAt + 1) & (count - 1);
                    if (isKey((long) CELL.getAcquire(slots, at + HEADER))) {
                        budget--;
                        if (forget(segment, at, true, now)) {
                            evicted++;
                        }
                    }
                }
            } finally {
                segment.lock.unlock();
            }
        }
        return evicted;
    }

    // ----------------------------------------------------------------------------------------------

    /** What is done with a bucket while its slot is entered. */
    @FunctionalInterface
    private interface Use<T> {
        T apply(TokenBucketCells buckets, long[] slots, int bucket, long nowNanos, long permits);
    }

    private static Decision decide(TokenBucketCells b, long[] slots, int bucket, long now, long permits) {
        return b.decide(slots, bucket, now, permits);
    }

    private static Boolean tryAcquire(TokenBucketCells b, long[] slots, int bucket, long now, long permits) {
        return b.tryAcquire(slots, bucket, now, permits);
    }

    private static Boolean release(TokenBucketCells b, long[] slots, int bucket, long now, long permits) {
        b.release(slots, bucket, now, permits);
        return true;
    }

    private static Optional<LimiterSnapshot> snapshot(
            TokenBucketCells b, long[] slots, int bucket, long now, long permits) {
        return Optional.of(b.snapshot(slots, bucket, now));
    }

    /**
     * {@code use} of {@code key}'s bucket while its slot is entered; {@code absent} when the key has
     * none and {@code create} is false, {@code refused} when it is new and finds no room.
     */
    private <T> T use(String key, long permits, boolean create, Use<T> use, T absent, T refused) {
        long fingerprint = fingerprint(key);
        Segment segment = segments[(int) (fingerprint >>> 58) & (segments.length - 1)];
        for (int attempt = 0; ; attempt++) {
            long[] slots = segment.slots;
            int at = enter(slots, fingerprint);
            if (at >= 0) {
                try {
                    return use.apply(buckets, slots, at + BUCKET, clock.nowNanos(), permits);
                } finally {
                    leave(slots, at);
                }
            }
            if (at == ABSENT) {
                if (!create) {
                    return absent;
                }
                Placed placed = insert(segment, key, fingerprint);
                if (placed == null) {
                    return refused;
                }
                try {
                    return use.apply(buckets, placed.slots, placed.at + BUCKET, clock.nowNanos(), permits);
                } finally {
                    leave(placed.slots, placed.at);
                }
            }
            Backoff.pause(attempt);
        }
    }

    /** The key's fingerprint: never one of the reserved header values. */
    private long fingerprint(String key) {
        long hash = fingerprints.hash(key);
        return isKey(hash) ? hash : hash | 2;
    }

    private static boolean isKey(long header) {
        return header != EMPTY && header != GONE;
    }

    /**
     * Enters the slot of {@code fingerprint} in {@code slots}: its offset, held until {@link #leave};
     * {@link #ABSENT} when the key has no slot there, {@link #AGAIN} when the slot met is retired or
     * changed hands meanwhile.
     */
    private static int enter(long[] slots, long fingerprint) {
        int at = find(slots, fingerprint);
        if (at < 0) {
            return ABSENT;
        }
        if ((long) CELL.getAndAdd(slots, at + USERS, 1L) >= 0) {
            if ((long) CELL.getAcquire(slots, at + HEADER) == fingerprint) {
                return at; // entered while it holds the key: nobody can retire it until we leave
            }
        }
        leave(slots, at);
        return AGAIN;
    }

    private static void leave(long[] slots, int at) {
        CELL.getAndAdd(slots, at + USERS, -1L);
    }

    /** The offset of the slot whose header is {@code fingerprint}, or {@link #ABSENT}. */
    private static int find(long[] slots, long fingerprint) {
        int mask = slots.length / SLOT - 1;
        for (int i = (int) fingerprint & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes++) {
            long header = (long) CELL.getAcquire(slots, i * SLOT + HEADER);
            if (header == fingerprint) {
                return i * SLOT;
            }
            if (header == EMPTY) {
                return ABSENT;
            }
        }
        return ABSENT;
    }

    /** A slot entered by its creator, in the table it was created in. */
    private static final class Placed {
        final long[] slots;
        final int at;

        Placed(long[] slots, int at) {
            this.slots = slots;
            this.at = at;
        }
    }

    /**
     * Creates {@code key}'s slot under its segment's lock (or finds the one another thread created
     * meanwhile), entered; null when there is no room.
     */
    private @Nullable Placed insert(Segment segment, String key, long fingerprint) {
        segment.lock.lock();
        try {
            long[] slots = segment.slots;
            int found = find(slots, fingerprint);
            if (found >= 0) {
                // only a holder of the lock retires a slot that holds a key: this one stays entered
                CELL.getAndAdd(slots, found + USERS, 1L);
                return new Placed(slots, found);
            }
            if ((segment.used + 1) * 4L > (slots.length / SLOT) * 3L) {
                // grows when keys fill half the slots, else rebuilds at the same size to drop GONE ones;
                // before the key is counted, so that a failure here leaves the count right
                grow(segment, (segment.live + 1) * 2L > slots.length / SLOT ? 2 : 1);
                slots = segment.slots;
            }
            long now = clock.nowNanos();
            if (!reserve(segment, now)) {
                refusals.increment();
                return null;
            }
            int mask = slots.length / SLOT - 1;
            int i = (int) fingerprint & mask;
            while (isKey((long) CELL.getAcquire(slots, i * SLOT + HEADER))) {
                i = (i + 1) & mask;
            }
            int at = i * SLOT;
            if ((long) CELL.getAcquire(slots, at + HEADER) == EMPTY) {
                segment.used++;
            }
            buckets.fill(slots, at + BUCKET, now, 0);
            if (listed) {
                segment.keys[i] = key;
            }
            segment.live++;
            CELL.setRelease(slots, at + HEADER, fingerprint);
            CELL.getAndAdd(slots, at + USERS, 1 - RETIRED); // entered by its creator
            return new Placed(slots, at);
        } finally {
            segment.lock.unlock();
        }
    }

    /** Under the segment's lock: counts a new key within the bound, evicting from the segment if needed. */
    private boolean reserve(Segment segment, long now) {
        for (int failures = 0; ; ) {
            int count = size.get();
            if (count < maximumKeys) {
                if (size.compareAndSet(count, count + 1)) {
                    return true;
                }
            } else if (!forgetOneSampled(segment, now) && ++failures == EVICTION_ATTEMPTS) {
                return false;
            }
        }
    }

    /**
     * Under the segment's lock: forgets, of the next {@link #EVICTION_SAMPLE} keys of the segment, the
     * one not in use that would be forgotten soonest (even within its idle time); false if none could be.
     */
    private boolean forgetOneSampled(Segment segment, long now) {
        long[] slots = segment.slots;
        int count = slots.length / SLOT;
        int victim = -1;
        long victimForgottenAt = Long.MAX_VALUE;
        for (int looked = 0, sampled = 0; looked < count && sampled < EVICTION_SAMPLE; looked++) {
            int at = segment.sampleAt * SLOT;
            segment.sampleAt = (segment.sampleAt + 1) & (count - 1);
            if (!isKey((long) CELL.getAcquire(slots, at + HEADER))) {
                continue;
            }
            sampled++;
            if ((long) CELL.getVolatile(slots, at + USERS) != 0) {
                continue; // in use
            }
            long forgottenAt = IdleKeyMap.saturatedAdd(buckets.reclaimableAtNanos(slots, at + BUCKET, now), idleNanos);
            if (victim < 0 || forgottenAt < victimForgottenAt) {
                victim = at;
                victimForgottenAt = forgottenAt;
            }
        }
        return victim >= 0 && forget(segment, victim, false, now);
    }

    /**
     * Under the segment's lock: evicts the key at {@code at} if nobody uses it and, when {@code
     * onlyIfIdle}, its bucket has been full for the idle time; whether it did.
     */
    private boolean forget(Segment segment, int at, boolean onlyIfIdle, long now) {
        long[] slots = segment.slots;
        if (onlyIfIdle && now - buckets.reclaimableAtNanos(slots, at + BUCKET, now) < idleNanos) {
            return false;
        }
        if (!CELL.compareAndSet(slots, at + USERS, 0L, RETIRED)) {
            return false; // in use
        }
        if (onlyIfIdle && now - buckets.reclaimableAtNanos(slots, at + BUCKET, now) < idleNanos) {
            CELL.getAndAdd(slots, at + USERS, -RETIRED); // used between the look and the retirement
            return false;
        }
        CELL.setRelease(slots, at + HEADER, GONE);
        segment.keys[at / SLOT] = null;
        segment.live--;
        size.decrementAndGet();
        evictions.increment();
        return true;
    }

    /**
     * Under the segment's lock: moves its keys to a table {@code factor} times as large, retiring each
     * slot first (waiting for its users to leave); callers that meet a retired slot look again, in
     * the new table once it is published.
     */
    private static void grow(Segment segment, int factor) {
        long[] from = segment.slots;
        @Nullable String[] fromKeys = segment.keys;
        Segment grown = new Segment(from.length / SLOT * factor);
        long[] to = grown.slots;
        int mask = to.length / SLOT - 1;
        for (int at = 0; at < from.length; at += SLOT) {
            long header = (long) CELL.getAcquire(from, at + HEADER);
            if (!isKey(header)) {
                continue;
            }
            // retired at once, whatever its users: a key used without a pause (one client's flood)
            // would keep a "no users" CAS failing; then the callers inside leave (nanoseconds)
            CELL.getAndAdd(from, at + USERS, RETIRED);
            for (int attempt = 0; (long) CELL.getVolatile(from, at + USERS) != RETIRED; attempt++) {
                Backoff.pause(attempt);
            }
            int i = (int) header & mask;
            while (to[i * SLOT + HEADER] != EMPTY) {
                i = (i + 1) & mask;
            }
            int target = i * SLOT;
            to[target + HEADER] = header;
            to[target + USERS] = 0;
            System.arraycopy(from, at + BUCKET, to, target + BUCKET, TokenBucketCells.WORDS);
            grown.keys[i] = fromKeys[at / SLOT];
        }
        segment.keys = grown.keys;
        segment.used = segment.live;
        segment.sweepAt = 0;
        segment.sampleAt = 0;
        segment.slots = to; // publishes the copies
    }

    /** One segment: its slots, its keys by slot, and what only its lock's holder reads and writes. */
    private static final class Segment {
        final ReentrantLock lock = new ReentrantLock();
        /** Replaced (never written in place) when the segment grows. */
        volatile long[] slots;

        @Nullable
        String[] keys;
        /** Slots holding a key. */
        int live;
        /** Slots holding a key or GONE: a segment is rebuilt before they leave too few EMPTY ones. */
        int used;

        int sweepAt;
        int sampleAt;

        Segment(int slotCount) {
            long[] table = new long[slotCount * SLOT];
            for (int at = 0; at < table.length; at += SLOT) {
                table[at + USERS] = RETIRED; // nothing enters an empty slot
            }
            this.slots = table;
            this.keys = new String[slotCount];
        }
    }

    /** Configures a {@link TokenBucketTable}. */
    public static final class Builder {
        private final TokenBucketSpec spec;
        private NanoClock clock = NanoClock.system();
        private int maximumKeys = 1_000_000;
        private long idleNanos;
        private boolean listed = true;

        private Builder(TokenBucketSpec spec) {
            this.spec = spec;
        }

        /** The most keys kept at once (default one million). */
        public Builder maximumKeys(int maximumKeys) {
            this.maximumKeys = Require.atLeast("maximumKeys", maximumKeys, 1);
            return this;
        }

        /** How long a key stays once its bucket is full again (default: zero). */
        public Builder idleTime(Duration idleTime) {
            this.idleNanos = Require.nanosAtLeast("idleTime", idleTime, 0);
            return this;
        }

        /**
         * Keeps no key's text, only its fingerprint: a key then costs its slot (32 bytes) whatever its
         * length, where a listed one also holds its text (a key of 256 characters: about 300 bytes
         * more), and {@link #forEachKey} cannot list them. For keys a client picks.
         */
        public Builder unlisted() {
            this.listed = false;
            return this;
        }

        /** The clock the buckets read (default: the system clock). */
        public Builder clock(NanoClock clock) {
            this.clock = NanoClock.monotonic(Require.given("clock", clock, "a clock"));
            return this;
        }

        public TokenBucketTable build() {
            return new TokenBucketTable(this);
        }
    }
}
