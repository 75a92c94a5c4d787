package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.WallClock;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/** A bounded in-memory {@link NonceStore} whose expired entries are purged a few at a time. */
final class MemoryNonceStore implements NonceStore {

    /*
     * Design: a hash map from id to entry and a min-heap of the same entries by the time they may be
     * forgotten (expiry plus RETENTION_AFTER_EXPIRY_MILLIS), both under one private lock. Every put first purges at most PURGE_PER_CALL expired entries from the top of the heap, so
     * no call does unbounded work; since each put adds at most one entry and removes up to eight
     * expired ones, a backlog of expired entries drains quickly under load. Without load, expired
     * entries may stay a while, but they answer as absent all the same.
     *
     * The store is full only when all maxEntries entries are live (a full store first purges a larger,
     * still bounded batch, so expired entries make room); then it fails closed with NonceStoreUnavailableException rather than forget
     * a live id, which would let it be used twice. Filling it takes maxEntries solved challenges or
     * valid tokens within one expiry period.
     *
     * Trade-off: one lock instead of a concurrent map. Every entry costs the caller a proof of work or
     * a signed token, so the rate of puts is far below what one lock serialises (millions per second).
     */

    static final int PURGE_PER_CALL = 8;
    static final int PURGE_WHEN_FULL = 256;

    private final Object lock = new Object();
    private final WallClock clock;
    private final int maxEntries;
    private final Map<String, Entry> entries = new HashMap<>();
    private final PriorityQueue<Entry> byExpiry = new PriorityQueue<>();

    MemoryNonceStore(WallClock clock, int maxEntries) {
        this.clock = clock;
        this.maxEntries = maxEntries;
    }

    @Override
    public boolean putIfAbsent(String id, long expiresAtMillis) {
        Require.given("id", id, "an id");
        long nowMillis = clock.epochMillis();
        synchronized (lock) {
            purge(nowMillis, PURGE_PER_CALL);
            Entry existing = entries.get(id);
            if (existing != null && existing.keepUntilMillis > nowMillis) {
                return false;
            }
            if (expiresAtMillis <= nowMillis) {
                return false; // expired: a copy arriving now is not a first use
            }
            if (existing == null && entries.size() >= maxEntries) {
                purge(nowMillis, PURGE_WHEN_FULL);
            }
            if (existing == null && entries.size() >= maxEntries) {
                throw new NonceStoreUnavailableException(
                        "nonce store full: " + maxEntries + " live entries (expected: fewer; raise maxEntries)");
            }
            long keepUntilMillis = expiresAtMillis > Long.MAX_VALUE - RETENTION_AFTER_EXPIRY_MILLIS
                    ? Long.MAX_VALUE
                    : expiresAtMillis + RETENTION_AFTER_EXPIRY_MILLIS;
            Entry entry = new Entry(id, keepUntilMillis);
            entries.put(id, entry);
            byExpiry.add(entry);
            return true;
        }
    }

    @Override
    public boolean contains(String id) {
        long nowMillis = clock.epochMillis();
        synchronized (lock) {
            Entry existing = entries.get(id);
            return existing != null && existing.keepUntilMillis > nowMillis;
        }
    }

    /** Live and not yet purged entries; for tests. */
    int size() {
        synchronized (lock) {
            return entries.size();
        }
    }

    private void purge(long nowMillis, int max) {
        for (int purged = 0; purged < max; purged++) {
            Entry soonest = byExpiry.peek();
            if (soonest == null || soonest.keepUntilMillis > nowMillis) {
                return;
            }
            byExpiry.poll();
            entries.remove(soonest.id, soonest);
        }
    }

    private record Entry(String id, long keepUntilMillis) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry other) {
            return Long.compare(keepUntilMillis, other.keepUntilMillis);
        }
    }
}
