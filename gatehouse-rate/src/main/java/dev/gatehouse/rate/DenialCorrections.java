package dev.gatehouse.rate;

import dev.gatehouse.core.keyed.IdleKeyMap;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import java.util.function.ToIntFunction;

/**
 * How far the store's count of a key's denials this window is from gocc's {@code
 * NumDeniedThisWindow}, because of the calls that wait. The limiter counts every refused ask, but
 * gocc counts a call that waits as neither approved nor denied, and a call turned away for a full
 * queue as denied without asking anything.
 */
final class DenialCorrections {

    /*
     * Design: a key's correction holds for the window of the refusals that made it (until the last
     * refusal's retry time, the window's end) and is forgotten after; a key has one only while its
     * calls wait or were turned away this window. When waiting alone cannot end the refusals (a
     * concurrency key: retry NEVER) the correction holds while calls wait. The corrections live in an
     * IdleKeyMap, bounded like the store and swept with it; one the map claims to forget it is taken
     * again fresh by a concurrent update. Past the bound a key's correction is not kept, and its
     * /debug count shows the store's.
     */

    /** A key's correction, updated in place under its own monitor. */
    private final class Correction extends IdleKeyMap.Entry {
        private long delta; // guarded by this
        private long untilNanos; // guarded by this
        private long updatedAtNanos; // guarded by this
        private boolean claimed; // guarded by this: the map is forgetting it

        Correction(String key, long untilNanos, long nowNanos) {
            super(key);
            this.untilNanos = untilNanos;
            this.updatedAtNanos = nowNanos;
        }

        /** Guarded by this. */
        boolean expired(long nowNanos) {
            return untilNanos == Long.MAX_VALUE ? waiting.applyAsInt(key()) == 0 : nowNanos >= untilNanos;
        }

        @Override
        protected synchronized long idleSinceNanos() {
            if (untilNanos != Long.MAX_VALUE) {
                return untilNanos;
            }
            return waiting.applyAsInt(key()) == 0 ? updatedAtNanos : Long.MAX_VALUE;
        }

        @Override
        protected long idleNanos() {
            return 0;
        }

        @Override
        protected synchronized boolean claim() {
            claimed = true;
            return true;
        }

        @Override
        protected synchronized void unclaim() {
            claimed = false;
        }
    }

    private final IdleKeyMap<Correction> corrections;
    private final ToIntFunction<String> waiting;

    /** Corrections for at most {@code maxKeys} keys, whose waiting calls {@code waiting} counts. */
    DenialCorrections(NanoClock clock, int maxKeys, ToIntFunction<String> waiting) {
        this.corrections = IdleKeyMap.<Correction>builder()
                .clock(clock)
                .maximumKeys(maxKeys)
                .whenFull(IdleKeyMap.WhenFull.REFUSE)
                .build();
        this.waiting = waiting;
    }

    /** The limiter refused an ask made for a call of {@code key} that waits: it counted a denial gocc does not. */
    void refusedWhileWaiting(String key, Decision refusal, long nowNanos) {
        add(key, -1, nowNanos, refusal.nanosUntilRetry());
    }

    /** A call of {@code key} was turned away for a full queue without asking: gocc counts a denial the limiter did not. */
    void turnedAway(String key, Decision answer, long nowNanos) {
        add(key, +1, nowNanos, answer.nanosUntilRetry());
    }

    /** {@code storeDenials}, the store's count for {@code key} this window, in gocc's terms. */
    long corrected(String key, long storeDenials, long nowNanos) {
        Correction correction = corrections.get(key);
        long delta = 0;
        if (correction != null) {
            synchronized (correction) {
                if (!correction.claimed && !correction.expired(nowNanos)) {
                    delta = correction.delta;
                }
            }
        }
        return Math.max(0, storeDenials + delta);
    }

    /** Forgets expired corrections, looking at up to {@code maxEntries} of them. */
    void sweep(int maxEntries) {
        corrections.sweep(maxEntries);
    }

    private void add(String key, int delta, long nowNanos, long retryNanos) {
        long windowEnd = retryNanos == Decision.NEVER || retryNanos > Long.MAX_VALUE - nowNanos
                ? Long.MAX_VALUE
                : nowNanos + retryNanos;
        for (; ; ) {
            Correction correction = corrections.get(key);
            if (correction == null) {
                correction = corrections.putIfAbsent(new Correction(key, windowEnd, nowNanos));
                if (correction == null) {
                    return; // full of corrections still in force: this key's is not kept
                }
            }
            synchronized (correction) {
                if (!correction.claimed) {
                    if (correction.expired(nowNanos)) {
                        correction.delta = 0;
                        correction.untilNanos = 0;
                    }
                    correction.untilNanos = Math.max(correction.untilNanos, windowEnd);
                    correction.updatedAtNanos = nowNanos;
                    correction.delta += delta;
                    return;
                }
            }
            Thread.onSpinWait(); // the map is forgetting it: it is gone (or kept after all) in a moment
        }
    }
}
