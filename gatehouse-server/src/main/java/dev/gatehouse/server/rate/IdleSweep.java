package dev.gatehouse.server.rate;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * An endless walk over a map of per-key entries, in bounded steps, that removes the entries found
 * expired: how the rate service forgets idle overrides and keys without a pause that grows with
 * their number.
 */
final class IdleSweep<V> {

    private final ConcurrentHashMap<String, V> entries;
    private Iterator<Map.Entry<String, V>> cursor;

    IdleSweep(ConcurrentHashMap<String, V> entries) {
        this.entries = entries;
    }

    /** Looks at up to {@code maxEntries} entries, going on where the last step stopped; returns how many it removed. */
    synchronized int step(int maxEntries, Predicate<V> expired) {
        int removed = 0;
        for (int i = 0; i < maxEntries; i++) {
            if (cursor == null || !cursor.hasNext()) {
                cursor = entries.entrySet().iterator();
                if (!cursor.hasNext()) {
                    break;
                }
            }
            Map.Entry<String, V> entry = cursor.next();
            V value = entry.getValue();
            if (expired.test(value) && entries.remove(entry.getKey(), value)) {
                removed++;
            }
        }
        return removed;
    }
}
