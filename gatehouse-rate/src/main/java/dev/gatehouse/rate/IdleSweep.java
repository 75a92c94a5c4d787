package dev.gatehouse.rate;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * An endless walk over a map of per-key entries, in bounded steps, that removes the entries found
 * expired: how the rate service forgets idle overrides and keys without a pause that grows with
 * their number.
 */
final class IdleSweep<V> {

    /*
     * Design: the walk follows a queue of the entries put into the map (told by added()), not the
     * map itself: iterating a ConcurrentHashMap visits every bucket of a table that never shrinks, so
     * after a flood of keys each step would cost the flood's size however few keys are left. A step
     * takes entries from the head and either drops them (expired and removed, or no longer the
     * key's value) or moves them to the tail. Entries replaced in the map leave stale queue entries
     * behind; a step always looks at at least their number, so the queue stays within a small factor
     * of the map.
     */

    private final ConcurrentHashMap<String, V> entries;
    private final ArrayDeque<Map.Entry<String, V>> order = new ArrayDeque<>();

    IdleSweep(ConcurrentHashMap<String, V> entries) {
        this.entries = entries;
    }

    /** Notes that {@code key} now holds {@code value} in the map (new, or replacing another value). */
    synchronized void added(String key, V value) {
        order.addLast(Map.entry(key, value));
    }

    /**
     * Looks at up to {@code maxEntries} entries (more when replaced ones have piled up), going on where
     * the last step stopped; returns how many it removed.
     */
    synchronized int step(int maxEntries, Predicate<V> expired) {
        int removed = 0;
        int looks = Math.min(order.size(), Math.max(maxEntries, order.size() - entries.size()));
        for (int i = 0; i < looks; i++) {
            Map.Entry<String, V> next = order.pollFirst();
            V value = next.getValue();
            if (entries.get(next.getKey()) != value) {
                continue; // removed or replaced since
            }
            if (expired.test(value) && entries.remove(next.getKey(), value)) {
                removed++;
            } else {
                order.addLast(next);
            }
        }
        return removed;
    }
}
