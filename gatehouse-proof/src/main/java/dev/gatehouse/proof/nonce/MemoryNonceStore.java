package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.WallClock;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A bounded in-memory {@link NonceStore} whose expired entries are purged a few at a time; it answers
 * on the calling thread, with complete stages.
 */
final class MemoryNonceStore implements NonceStore {

    /*
     * Design: a hash map from id to entry and a min-heap of the same entries by the time they may be
     * forgotten, both under one private lock. Every put first purges at most PURGE_PER_CALL entries
     * from the top of the heap, so no call does unbounded work; since each put adds at most one entry
     * and removes up to eight, a backlog of forgettable entries drains quickly under load. Without
     * load, such entries may stay a while, but they answer as absent all the same.
     *
     * An entry may be forgotten once its retention (expiry plus RETENTION_AFTER_EXPIRY_MILLIS) is
     * over by both clocks: the wall clock, on which expiry times are agreed between replicas, and a
     * monotonic clock, on which the retention left at insertion (by the wall clock then) counts down.
     * The heap orders entries by the monotonic deadline, so a wall clock that steps forward (NTP, a
     * resumed VM) cannot purge live ids early, to be replayed once it steps back; and an entry whose
     * monotonic deadline passed while the wall clock stepped back (its id is live again by that
     * clock) is kept, its deadline counted anew from the retention the wall clock now says is left.
     *
     * The store is full only when all maxEntries entries are live (a full store first purges a larger,
     * still bounded batch, so forgettable entries make room); then it fails closed with
     * NonceStoreUnavailableException rather than forget a live id, which would let it be used twice.
     * Filling it takes maxEntries solved challenges or valid tokens within one expiry period.
     *
     * The port is asynchronous, but this store decides before it returns: it answers with one of two
     * shared complete stages (completedStage: nobody can complete or obtrude them), so a put costs no
     * allocation beyond its entry; DegradingNonceStore uses the synchronous methods directly.
     *
     * Trade-off: one lock instead of a concurrent map. Every entry costs the caller a proof of work or
     * a signed token, so the rate of puts is far below what one lock serialises (millions per second).
     */

    static final CompletionStage<Boolean> TRUE = CompletableFuture.completedStage(Boolean.TRUE);
    static final CompletionStage<Boolean> FALSE = CompletableFuture.completedStage(Boolean.FALSE);
    static final int PURGE_PER_CALL = 8;
    static final int PURGE_WHEN_FULL = 256;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private final Object lock = new Object();
    private final WallClock wallClock;
    private final NanoClock monotonicClock;
    private final long originNanos;
    private final int maxEntries;
    private final Map<String, Entry> entries = new HashMap<>();
    private final PriorityQueue<Entry> byDeadline = new PriorityQueue<>();

    MemoryNonceStore(WallClock wallClock, NanoClock nanoClock, int maxEntries) {
        this.wallClock = wallClock;
        this.monotonicClock = NanoClock.monotonic(nanoClock);
        this.originNanos = monotonicClock.nowNanos();
        this.maxEntries = maxEntries;
    }

    @Override
    public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
        Require.given("id", id, "an id");
        try {
            return answer(putIfAbsentNow(id, expiresAtMillis));
        } catch (NonceStoreUnavailableException full) {
            return CompletableFuture.failedStage(full);
        }
    }

    @Override
    public CompletionStage<Boolean> contains(String id) {
        Require.given("id", id, "an id");
        return answer(containsNow(id));
    }

    /** One of the two shared complete stages. */
    static CompletionStage<Boolean> answer(boolean value) {
        return value ? TRUE : FALSE;
    }

    /** {@link #putIfAbsent}, answered here; throws {@link NonceStoreUnavailableException} when full of live ids. */
    boolean putIfAbsentNow(String id, long expiresAtMillis) {
        long nowMillis = wallClock.epochMillis();
        long elapsedNanos = monotonicClock.nowNanos() - originNanos;
        synchronized (lock) {
            purge(nowMillis, elapsedNanos, PURGE_PER_CALL);
            Entry existing = entries.get(id);
            if (existing != null && existing.isKept(nowMillis, elapsedNanos)) {
                return false;
            }
            if (expiresAtMillis <= nowMillis) {
                return false; // expired: a copy arriving now is not a first use
            }
            if (existing == null && entries.size() >= maxEntries) {
                purge(nowMillis, elapsedNanos, PURGE_WHEN_FULL);
            }
            if (existing == null && entries.size() >= maxEntries) {
                throw new NonceStoreUnavailableException(
                        "nonce store full: " + maxEntries + " live entries (expected: fewer; raise maxEntries)");
            }
            long keepUntilMillis = expiresAtMillis > Long.MAX_VALUE - RETENTION_AFTER_EXPIRY_MILLIS
                    ? Long.MAX_VALUE
                    : expiresAtMillis + RETENTION_AFTER_EXPIRY_MILLIS;
            Entry entry = new Entry(id, keepUntilMillis, deadline(keepUntilMillis, nowMillis, elapsedNanos));
            entries.put(id, entry);
            byDeadline.add(entry);
            return true;
        }
    }

    /** {@link #contains}, answered here. */
    boolean containsNow(String id) {
        long nowMillis = wallClock.epochMillis();
        long elapsedNanos = monotonicClock.nowNanos() - originNanos;
        synchronized (lock) {
            Entry existing = entries.get(id);
            return existing != null && existing.isKept(nowMillis, elapsedNanos);
        }
    }

    /** Live and not yet purged entries; for tests. */
    int size() {
        synchronized (lock) {
            return entries.size();
        }
    }

    /** Under the lock: forgets at most {@code max} entries whose retention is over by both clocks. */
    @SuppressWarnings("ReferenceEquality") // is the entry still the one queued for this deadline?
    private void purge(long nowMillis, long elapsedNanos, int max) {
        for (int looked = 0; looked < max; looked++) {
            Entry soonest = byDeadline.peek();
            if (soonest == null || soonest.deadlineNanos > elapsedNanos) {
                return;
            }
            byDeadline.poll();
            if (entries.get(soonest.id) != soonest) {
                continue; // replaced since
            }
            if (soonest.keepUntilMillis > nowMillis) { // the wall clock stepped back: live again by it
                Entry renewed = new Entry(
                        soonest.id,
                        soonest.keepUntilMillis,
                        deadline(soonest.keepUntilMillis, nowMillis, elapsedNanos));
                entries.put(soonest.id, renewed);
                byDeadline.add(renewed);
            } else {
                entries.remove(soonest.id);
            }
        }
    }

    /** When, on the monotonic clock, the retention left by the wall clock ({@code keepUntilMillis}) is over. */
    private static long deadline(long keepUntilMillis, long nowMillis, long elapsedNanos) {
        long leftMillis = keepUntilMillis - nowMillis; // > 0 unless it overflowed: only live entries get one
        if (leftMillis < 0 || leftMillis > (Long.MAX_VALUE - elapsedNanos) / NANOS_PER_MILLI) {
            return Long.MAX_VALUE; // beyond any run of the process (or the difference overflowed)
        }
        return elapsedNanos + leftMillis * NANOS_PER_MILLI;
    }

    private record Entry(String id, long keepUntilMillis, long deadlineNanos) implements Comparable<Entry> {

        /** Whether the entry's retention still runs by either clock. */
        boolean isKept(long nowMillis, long elapsedNanos) {
            return keepUntilMillis > nowMillis || deadlineNanos > elapsedNanos;
        }

        @Override
        public int compareTo(Entry other) {
            return Long.compare(deadlineNanos, other.deadlineNanos);
        }
    }
}
