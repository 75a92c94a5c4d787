package dev.gatehouse.rate;

import dev.gatehouse.core.limit.Decision;
import java.util.concurrent.ConcurrentHashMap;
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
     * refusal's retry time: the window's end) and is forgotten after; a key only has one while its
     * calls wait or were turned away this window. When waiting alone cannot end the refusals (a
     * concurrency key, retry NEVER) the correction holds while calls wait. Expired corrections are
     * swept in bounded steps with the service's other per-key state; a correction found removed by
     * the sweep is taken again fresh.
     */

    private static final class Correction {
        final String key;
        long delta; // guarded by this
        long untilNanos; // guarded by this
        boolean removed; // guarded by this

        Correction(String key) {
            this.key = key;
        }
    }

    private final ConcurrentHashMap<String, Correction> corrections = new ConcurrentHashMap<>();
    private final IdleSweep<Correction> sweep = new IdleSweep<>(corrections);
    private final ToIntFunction<String> waiting;

    /** Corrections for keys whose waiting calls {@code waiting} counts. */
    DenialCorrections(ToIntFunction<String> waiting) {
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
                if (!correction.removed && !expired(correction, nowNanos)) {
                    delta = correction.delta;
                }
            }
        }
        return Math.max(0, storeDenials + delta);
    }

    /** Forgets expired corrections, looking at up to {@code maxEntries} of them. */
    void sweep(int maxEntries, long nowNanos) {
        sweep.step(maxEntries, correction -> {
            synchronized (correction) {
                correction.removed = expired(correction, nowNanos);
                return correction.removed;
            }
        });
    }

    private void add(String key, int delta, long nowNanos, long retryNanos) {
        long windowEnd = retryNanos == Decision.NEVER || retryNanos > Long.MAX_VALUE - nowNanos
                ? Long.MAX_VALUE
                : nowNanos + retryNanos;
        for (; ; ) {
            Correction correction = corrections.get(key);
            boolean fresh = correction == null;
            if (fresh) {
                Correction made = new Correction(key);
                correction = corrections.putIfAbsent(key, made);
                fresh = correction == null;
                if (fresh) {
                    correction = made;
                }
            }
            synchronized (correction) {
                if (correction.removed) {
                    corrections.remove(key, correction); // swept meanwhile: take a fresh one
                    continue;
                }
                if (expired(correction, nowNanos)) {
                    correction.delta = 0;
                    correction.untilNanos = 0;
                }
                correction.untilNanos = Math.max(correction.untilNanos, windowEnd);
                correction.delta += delta;
            }
            if (fresh) {
                sweep.added(key, correction);
            }
            return;
        }
    }

    /** Guarded by {@code correction}. */
    private boolean expired(Correction correction, long nowNanos) {
        return correction.untilNanos == Long.MAX_VALUE
                ? waiting.applyAsInt(correction.key) == 0
                : nowNanos >= correction.untilNanos;
    }
}
