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
 * of entries. Lookups change the table too (it remembers the last key it hashed).
 */
final class EntryTable<E extends EntryTable.Linked<E>> {

    /** An entry of a table: its key, and what the table keeps in it: its key's hash and the next entry of its chain. */
    interface Linked<E> {
        String key();

        int keyHash();

        void keyHash(int hash);

        @Nullable
        E nextInChain();

        void nextInChain(@Nullable E next);
    }

    /** Buckets moved from the old table per call while the table grows: a doubling ends long before the next. */
    private static final int BUCKETS_PER_STEP = 4;

    private static final int MIN_BUCKETS = 16;

    private final SipHash hashes = SipHash.withRandomKey();
    private final Class<E> type;
    private @Nullable E[] buckets;
    /** The table before the doubling under way, whose buckets below {@link #moved} are empty; null when none is. */
    private @Nullable E @Nullable [] growingFrom;

    private int moved;
    private int count;

    /** The key hashed last, by identity, and its hash: a lookup and the insert after it hash once. */
    private @Nullable String lastKey;

    private int lastHash;

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
        int hash = hash(key);
        @Nullable E[] from = growingFrom;
        if (from != null) {
            int at = index(hash, from);
            if (at >= moved) {
                E found = find(from[at], key, hash);
                if (found != null) {
                    return found;
                }
            }
        }
        return find(buckets[index(hash, buckets)], key, hash);
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
        int hash = hash(entry.key());
        entry.keyHash(hash);
        link(entry, hash);
        count++;
    }

    /** Removes the entry of {@code key}, if there is one. */
    void remove(String key) {
        step();
        int hash = hash(key);
        @Nullable E[] from = growingFrom;
        if ((from == null || !unlink(from, index(hash, from), key, hash))
                && !unlink(buckets, index(hash, buckets), key, hash)) {
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
                link(e, e.keyHash()); // the hash kept: a move reads no key
                e = next;
            }
        }
        if (moved == from.length) {
            growingFrom = null;
        }
    }

    @SuppressWarnings("ReferenceEquality") // by identity on purpose: equals would read both strings
    private int hash(String key) {
        if (key != lastKey) { // identity: the same string, surely the same hash
            lastHash = (int) hashes.hash(key);
            lastKey = key;
        }
        return lastHash;
    }

    private void link(E entry, int hash) {
        int at = index(hash, buckets);
        entry.nextInChain(buckets[at]);
        buckets[at] = entry;
    }

    private boolean unlink(@Nullable E[] table, int at, String key, int hash) {
        E previous = null;
        for (E e = table[at]; e != null; previous = e, e = e.nextInChain()) {
            if (e.keyHash() == hash && e.key().equals(key)) {
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

    private @Nullable E find(@Nullable E head, String key, int hash) {
        for (E e = head; e != null; e = e.nextInChain()) {
            if (e.keyHash() == hash && e.key().equals(key)) { // the kept hash first: most keys are not read
                return e;
            }
        }
        return null;
    }

    private static int index(int hash, @Nullable Object[] table) {
        return hash & (table.length - 1);
    }

    @SuppressWarnings("unchecked") // an array of the entries' own class, made for them
    private @Nullable E[] newBuckets(int length) {
        return (@Nullable E[]) Array.newInstance(type, length);
    }
}
