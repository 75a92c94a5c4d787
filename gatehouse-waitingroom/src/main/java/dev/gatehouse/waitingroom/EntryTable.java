package dev.gatehouse.waitingroom;

import dev.gatehouse.core.internal.SipHash;
import java.lang.reflect.Array;
import org.jspecify.annotations.Nullable;

/**
 * Entries by a string key that clients choose (a room's users by id), for one thread at a time: a
 * hash table whose chains run through the entries themselves. Two things a plain map does not give:
 * keys are placed by a keyed hash (SipHash under a key drawn per table), so ids chosen to collide
 * ({@code String.hashCode} collides by design) cannot pile up in one chain; and the table grows a few
 * buckets at a time, spread over the calls that follow a doubling, so no call stops to move millions
 * of entries.
 */
final class EntryTable<E extends EntryTable.Linked<E>> {

    /** An entry of a table: its key, and the next entry of its chain, kept for the table. */
    interface Linked<E> {
        String key();

        @Nullable
        E nextInChain();

        void nextInChain(@Nullable E next);
    }

    /** Buckets moved from the old table per call while the table grows: a doubling ends long before the next. */
    static final int BUCKETS_PER_STEP = 4;

    private static final int MIN_BUCKETS = 16;

    private final SipHash hashes = SipHash.withRandomKey();
    private final Class<E> type;
    private @Nullable E[] buckets;
    /** The table before the doubling under way, whose buckets below {@link #moved} are empty; null when none is. */
    private @Nullable E @Nullable [] growingFrom;

    private int moved;
    private int count;

    EntryTable(Class<E> type) {
        this.type = type;
        this.buckets = newBuckets(MIN_BUCKETS);
    }

    /** Number of entries. */
    int size() {
        return count;
    }

    @Nullable
    E get(String key) {
        long hash = hashes.hash(key);
        @Nullable E[] from = growingFrom;
        if (from != null) {
            int at = index(hash, from);
            if (at >= moved) {
                E found = find(from[at], key);
                if (found != null) {
                    return found;
                }
            }
        }
        return find(buckets[index(hash, buckets)], key);
    }

    /** Adds {@code entry}, whose key the table must not hold. */
    void put(E entry) {
        step();
        if (count >= buckets.length) {
            while (growingFrom != null) { // never expected: a doubling ends within a quarter of the calls to the next
                step();
            }
            growingFrom = buckets;
            buckets = newBuckets(buckets.length * 2);
            moved = 0;
        }
        link(entry, hashes.hash(entry.key()));
        count++;
    }

    /** Removes the entry of {@code key}, if there is one. */
    void remove(String key) {
        step();
        long hash = hashes.hash(key);
        @Nullable E[] from = growingFrom;
        if ((from == null || !unlink(from, index(hash, from), key)) && !unlink(buckets, index(hash, buckets), key)) {
            return;
        }
        count--;
    }

    /** Moves the next {@link #BUCKETS_PER_STEP} buckets of the old table, if a doubling is under way. */
    private void step() {
        @Nullable E[] from = growingFrom;
        if (from == null) {
            return;
        }
        for (int done = 0; done < BUCKETS_PER_STEP && moved < from.length; done++, moved++) {
            E e = from[moved];
            from[moved] = null;
            while (e != null) {
                E next = e.nextInChain();
                link(e, hashes.hash(e.key()));
                e = next;
            }
        }
        if (moved == from.length) {
            growingFrom = null;
        }
    }

    private void link(E entry, long hash) {
        int at = index(hash, buckets);
        entry.nextInChain(buckets[at]);
        buckets[at] = entry;
    }

    private boolean unlink(@Nullable E[] table, int at, String key) {
        E previous = null;
        for (E e = table[at]; e != null; previous = e, e = e.nextInChain()) {
            if (e.key().equals(key)) {
                if (previous == null) {
                    table[at] = e.nextInChain();
                } else {
                    previous.nextInChain(e.nextInChain());
                }
                e.nextInChain(null);
                return true;
            }
        }
        return false;
    }

    private @Nullable E find(@Nullable E head, String key) {
        for (E e = head; e != null; e = e.nextInChain()) {
            if (e.key().equals(key)) {
                return e;
            }
        }
        return null;
    }

    private static int index(long hash, @Nullable Object[] table) {
        return (int) hash & (table.length - 1);
    }

    @SuppressWarnings("unchecked") // an array of the entries' own class, made for them
    private @Nullable E[] newBuckets(int length) {
        return (@Nullable E[]) Array.newInstance(type, length);
    }
}
