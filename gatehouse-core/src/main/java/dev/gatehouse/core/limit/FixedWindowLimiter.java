package dev.gatehouse.core.limit;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A lock-free fixed-window counter whose state is one {@code long}: window tag and count. */
final class FixedWindowLimiter extends ElapsedTimeLimiter {

    /*
     * Design: windows are numbered from the limiter's creation. The state packs the low 34 bits of
     * the window number over a 30-bit count (enough for MAX_PER_WINDOW), so one CAS both rolls the
     * window and counts. A request in a newer window than the stored one sees a count of zero: the
     * roll is lazy. Denials are counted the same way in a second word, off the allow path.
     *
     * A reading older than the stored window (its thread was overtaken between reading and counting)
     * counts in the stored window rather than rolling it back; "older" is up to 2^20 windows behind.
     *
     * Trade-off: the tag repeats every 2^34 windows (198 days of one-millisecond windows). A key
     * idle for an exact multiple of that would see a stale count for one window, and one idle for
     * up to 2^20 windows short of it would count in its old window until that window's time came
     * round. Keyed registries evict idle keys long before, so we accept it rather than spend a second
     * word on the allow path.
     */

    private static final int COUNT_BITS = 30;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    private static final long TAG_MASK = (1L << (Long.SIZE - COUNT_BITS)) - 1;
    /** How far behind the stored window a reading may be and still be taken as an overtaken one. */
    private static final long OVERTAKEN = 1L << 20;

    private static final VarHandle STATE = longField(MethodHandles.lookup(), "state");
    private static final VarHandle DENIED = longField(MethodHandles.lookup(), "denied");

    private final FixedWindowSpec spec;
    private volatile long state;
    private volatile long denied;

    FixedWindowLimiter(FixedWindowSpec spec, NanoClock clock) {
        super(clock);
        this.spec = spec;
    }

    /**
     * Takes over {@code previous}'s current window: the same windows and counts when the window
     * length is unchanged, otherwise a first window from now holding the previous count.
     */
    FixedWindowLimiter(FixedWindowSpec spec, NanoClock clock, FixedWindowLimiter previous) {
        super(previous.clock, sameWindows(spec, previous) ? previous.originNanos : previous.clock.nowNanos());
        this.spec = spec;
        if (sameWindows(spec, previous)) {
            this.state = previous.state;
            this.denied = previous.denied;
        } else {
            long tag = previous.windowIndex(previous.elapsedNanos()) & TAG_MASK;
            this.state = pack(0, countIn(previous.state, tag));
        }
    }

    private static boolean sameWindows(FixedWindowSpec spec, FixedWindowLimiter previous) {
        return spec.windowNanos() == previous.spec.windowNanos();
    }

    @Override
    public boolean tryAcquire(long permits) {
        Require.atLeast("permits", permits, 1);
        long index = windowIndex(elapsedNanos());
        long max = spec.maxPerWindow();
        for (; ; ) {
            long current = state;
            long tag = windowAt(index, current) & TAG_MASK;
            long count = countIn(current, tag);
            if (permits > max - count) {
                countDenial(tag);
                return false;
            }
            if (STATE.compareAndSet(this, current, pack(tag, count + permits))) {
                return true;
            }
        }
    }

    @Override
    public Decision decide(long permits) {
        Require.atLeast("permits", permits, 1);
        long elapsed = elapsedNanos();
        long index = windowIndex(elapsed);
        long max = spec.maxPerWindow();
        for (; ; ) {
            long current = state;
            long window = windowAt(index, current);
            long tag = window & TAG_MASK;
            long untilRoll = untilWindowEnd(window, elapsed);
            long count = countIn(current, tag);
            if (permits > max - count) {
                countDenial(tag);
                return Decision.denied(
                        Math.max(0, max - count),
                        permits > max ? Decision.NEVER : untilRoll,
                        count == 0 ? 0 : untilRoll);
            }
            if (STATE.compareAndSet(this, current, pack(tag, count + permits))) {
                return Decision.allowed(max - count - permits, untilRoll);
            }
        }
    }

    @Override
    public void release(long permits) {
        Require.atLeast("permits", permits, 1);
        long index = windowIndex(elapsedNanos());
        for (; ; ) {
            long current = state;
            long tag = windowAt(index, current) & TAG_MASK;
            long count = countIn(current, tag);
            if (count == 0 || STATE.compareAndSet(this, current, pack(tag, Math.max(0, count - permits)))) {
                return;
            }
        }
    }

    @Override
    public FixedWindowSpec spec() {
        return spec;
    }

    @Override
    public LimiterSnapshot snapshot() {
        long elapsed = elapsedNanos();
        long packed = state;
        long index = windowAt(windowIndex(elapsed), packed);
        long tag = index & TAG_MASK;
        long count = countIn(packed, tag);
        long deniedNow = countIn(denied, tag);
        return new LimiterSnapshot(
                spec,
                Math.max(0, spec.maxPerWindow() - count),
                deniedNow,
                0,
                count == 0 ? 0 : untilWindowEnd(index, elapsed));
    }

    @Override
    public long reclaimableAtNanos() {
        long packed = state;
        long index = windowAt(windowIndex(elapsedNanos()), packed);
        long windowsSinceUse = (index - (packed >>> COUNT_BITS)) & TAG_MASK;
        long lastUsedIndex = index - windowsSinceUse;
        return WideArithmetic.saturatedAdd(
                originNanos, WideArithmetic.saturatedMultiply(lastUsedIndex + 1, spec.windowNanos()));
    }

    private void countDenial(long tag) {
        for (; ; ) {
            long current = denied;
            long count = countIn(current, tag);
            if (count == COUNT_MASK || DENIED.compareAndSet(this, current, pack(tag, count + 1))) {
                return;
            }
        }
    }

    /**
     * The window a reading in window {@code index} counts in against {@code packed}: its own, or the
     * stored one when that is ahead by fewer than {@link #OVERTAKEN} windows: the reading is older
     * than the last update's (its thread was overtaken between reading and counting), and counting it
     * in its own window would roll the newer one back.
     */
    private static long windowAt(long index, long packed) {
        long ahead = ((packed >>> COUNT_BITS) - index) & TAG_MASK;
        return ahead < OVERTAKEN ? index + ahead : index;
    }

    private long windowIndex(long elapsed) {
        return elapsed / spec.windowNanos();
    }

    private long untilWindowEnd(long index, long elapsed) {
        return (index + 1) * spec.windowNanos() - elapsed;
    }

    private static long countIn(long packed, long tag) {
        return (packed >>> COUNT_BITS) == tag ? packed & COUNT_MASK : 0;
    }

    private static long pack(long tag, long count) {
        return (tag << COUNT_BITS) | count;
    }
}
