package dev.gatehouse.core.limit;

import static dev.gatehouse.core.limit.WideArithmetic.multiplyDivideCeil;
import static dev.gatehouse.core.limit.WideArithmetic.multiplyDivideFloor;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;

/** A sliding-window counter estimated from the current and the previous fixed window. */
final class SlidingWindowLimiter extends ElapsedTimeLimiter {

    /*
     * Design: the estimate at offset t into window i is ceil(previous * (W - t) / W) + current.
     * Rounding the weighted part up keeps the estimate from ever admitting more than the exact
     * interpolation would. The state is three counters that change together and do not fit one
     * word at full width, so this limiter decides under its monitor instead of a CAS: the critical
     * section is a few arithmetic operations and never calls out, and it allocates nothing.
     */

    private final SlidingWindowSpec spec;
    private long windowIndex;
    private long currentCount;
    private long previousCount;
    private long deniedCount;

    SlidingWindowLimiter(SlidingWindowSpec spec, NanoClock clock) {
        super(clock);
        this.spec = spec;
    }

    /**
     * Takes over {@code previous}'s counts: all of them when the window length is unchanged,
     * otherwise its current estimate as the count of a first window from now.
     */
    SlidingWindowLimiter(SlidingWindowSpec spec, NanoClock clock, SlidingWindowLimiter previous) {
        super(previous.clock, sameWindows(spec, previous) ? previous.originNanos : previous.clock.nowNanos());
        this.spec = spec;
        long elapsed = previous.elapsedNanos();
        synchronized (previous) {
            elapsed = previous.roll(elapsed);
            if (sameWindows(spec, previous)) {
                this.windowIndex = previous.windowIndex;
                this.currentCount = previous.currentCount;
                this.previousCount = previous.previousCount;
                this.deniedCount = previous.deniedCount;
            } else {
                this.currentCount = previous.currentCount + previous.previousShare(elapsed);
            }
        }
    }

    private static boolean sameWindows(SlidingWindowSpec spec, SlidingWindowLimiter previous) {
        return spec.windowNanos() == previous.spec.windowNanos();
    }

    @Override
    public boolean tryAcquire(long permits) {
        Require.atLeast("permits", permits, 1);
        long elapsed = elapsedNanos();
        synchronized (this) {
            elapsed = roll(elapsed);
            if (permits > room(elapsed)) {
                deniedCount++;
                return false;
            }
            currentCount += permits;
            return true;
        }
    }

    @Override
    public Decision decide(long permits) {
        Require.atLeast("permits", permits, 1);
        long elapsed = elapsedNanos();
        synchronized (this) {
            elapsed = roll(elapsed);
            long room = room(elapsed);
            if (permits > room) {
                deniedCount++;
                return Decision.denied(Math.max(0, room), untilRoomFor(permits, elapsed), untilEmpty(elapsed));
            }
            currentCount += permits;
            return Decision.allowed(room - permits, untilEmpty(elapsed));
        }
    }

    @Override
    public void release(long permits) {
        Require.atLeast("permits", permits, 1);
        long elapsed = elapsedNanos();
        synchronized (this) {
            elapsed = roll(elapsed);
            currentCount = Math.max(0, currentCount - permits);
        }
    }

    @Override
    public SlidingWindowSpec spec() {
        return spec;
    }

    @Override
    public LimiterSnapshot snapshot() {
        long elapsed = elapsedNanos();
        synchronized (this) {
            elapsed = roll(elapsed);
            return new LimiterSnapshot(spec, Math.max(0, room(elapsed)), deniedCount, 0, untilEmpty(elapsed));
        }
    }

    @Override
    public synchronized long reclaimableAtNanos() {
        long windowsToEmpty = currentCount > 0 ? 2 : previousCount > 0 ? 1 : 0;
        return WideArithmetic.saturatedAdd(
                originNanos, WideArithmetic.saturatedMultiply(windowIndex + windowsToEmpty, spec.windowNanos()));
    }

    /**
     * Moves the counts to the window of {@code elapsed} and returns {@code elapsed}; a reading from
     * before the counts' window (its thread was overtaken between reading and deciding) moves nothing
     * and is taken as that window's start, where the previous window weighs most.
     */
    private long roll(long elapsed) {
        long index = elapsed / spec.windowNanos();
        if (index < windowIndex) {
            return windowIndex * spec.windowNanos();
        }
        if (index > windowIndex) {
            previousCount = index == windowIndex + 1 ? currentCount : 0;
            currentCount = 0;
            deniedCount = 0;
            windowIndex = index;
        }
        return elapsed;
    }

    /** Permits that fit now (negative when over, after a window shrank the previous share). */
    private long room(long elapsed) {
        return spec.maxPerWindow() - currentCount - previousShare(elapsed);
    }

    private long previousShare(long elapsed) {
        long window = spec.windowNanos();
        long remainingOfWindow = window - (elapsed - windowIndex * window);
        return multiplyDivideCeil(previousCount, remainingOfWindow, window);
    }

    /** Nanoseconds until {@code permits} fit, assuming nothing more is taken. */
    private long untilRoomFor(long permits, long elapsed) {
        long max = spec.maxPerWindow();
        if (permits > max) {
            return Decision.NEVER;
        }
        long window = spec.windowNanos();
        long offset = elapsed - windowIndex * window;
        long roomBesidesPrevious = max - permits - currentCount;
        if (roomBesidesPrevious >= 0) {
            // Within this window, once ceil(previous * (W - t) / W) <= roomBesidesPrevious.
            return Math.max(0, neededOffset(previousCount, roomBesidesPrevious, window) - offset);
        }
        // Next window: this window's count becomes the previous one.
        return (window - offset) + neededOffset(currentCount, max - permits, window);
    }

    /** The first offset t at which ceil(count * (W - t) / W) <= room. */
    private static long neededOffset(long count, long room, long window) {
        if (count <= room) {
            return 0;
        }
        return window - multiplyDivideFloor(room, window, count);
    }

    /** Nanoseconds until the estimate reaches zero if nothing more is taken. */
    private long untilEmpty(long elapsed) {
        long window = spec.windowNanos();
        long windowEnd = (windowIndex + 1) * window;
        if (currentCount > 0) {
            return windowEnd + window - elapsed;
        }
        return previousCount > 0 ? windowEnd - elapsed : 0;
    }
}
