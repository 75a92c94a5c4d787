package dev.gatehouse.waitingroom;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The rooms' configs as this process last read or stored them, each used for a while before it is
 * read again from the queue state: one cache for everything that needs a room's config on every
 * request or step (the routes, the events). Another replica's change is seen within {@code
 * maxAgeMillis}; a change stored here at once.
 */
public final class RoomConfigs {

    /*
     * Design: a map from room to what was kept, compared by identity. A read remembers the entry it
     * saw before asking the store and keeps its answer only over that entry, so a read that overlaps
     * a change stored here never puts back what the change replaced; a change replaces any entry.
     * Entries are never removed (one per room), so an entry seen is never another one's twin.
     */

    private final QueueState state;
    private final long maxAgeMillis;
    private final Map<String, Kept> kept = new ConcurrentHashMap<>();

    private static final class Kept {
        private final RoomConfig config;
        private final long atMillis;

        Kept(RoomConfig config, long atMillis) {
            this.config = config;
            this.atMillis = atMillis;
        }
    }

    /** The configs of {@code state}'s rooms, each used for up to {@code maxAgeMillis} after it was read. */
    public RoomConfigs(QueueState state, long maxAgeMillis) {
        this.state = state;
        this.maxAgeMillis = maxAgeMillis;
    }

    /** {@code room}'s config if one was read or stored here less than the max age before {@code nowMillis}; else null. */
    public @Nullable RoomConfig fresh(String room, long nowMillis) {
        Kept current = kept.get(room);
        return current != null && nowMillis - current.atMillis < maxAgeMillis && nowMillis >= current.atMillis
                ? current.config
                : null;
    }

    /** {@code room}'s config: the fresh one, or else read from the queue state. */
    public CompletionStage<RoomConfig> get(String room, long nowMillis) {
        RoomConfig config = fresh(room, nowMillis);
        return config != null ? CompletableFuture.completedFuture(config) : read(room, nowMillis);
    }

    /** Reads {@code room}'s config from the queue state, and keeps it unless a change was stored here meanwhile. */
    public CompletionStage<RoomConfig> read(String room, long nowMillis) {
        Kept seen = kept.get(room);
        CompletionStage<RoomConfig> reading;
        try {
            reading = state.config(room);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return reading.thenApply(config -> {
            Kept fresh = new Kept(config, nowMillis);
            if (seen == null) {
                kept.putIfAbsent(room, fresh);
            } else {
                kept.replace(room, seen, fresh);
            }
            return config;
        });
    }

    /** Keeps {@code config}, just stored for {@code room} in this process, over whatever was kept. */
    public void stored(String room, RoomConfig config, long nowMillis) {
        kept.put(room, new Kept(config, nowMillis));
    }
}
