package dev.gatehouse.core.breaker;

import dev.gatehouse.core.time.NanoClock;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** A lock-free {@link CircuitBreaker}: immutable phases swapped by CAS, counters inside each phase. */
final class NonBlockingCircuitBreaker implements CircuitBreaker {

    /*
     * Design: the breaker's state is a Phase object swapped by compareAndSet. A phase is immutable
     * except for the counters that belong to it (the closed window, the half-open probe slots), so a
     * transition is one CAS that also discards the old counters; only its winner notifies listeners,
     * hence no lost or duplicated transitions. Transitions allocate a phase; asking for a permit and
     * recording an outcome allocate nothing.
     *
     * A permit is a long: the phase generation above 24 bits, then for half-open probes 16 bits of a
     * claim number and 8 bits of slot (1..255; 0 for ordinary calls). An outcome whose generation is
     * not the current phase's belongs to an earlier phase and is ignored. A half-open slot holds the
     * claim number of its probe and when it was claimed; a probe that does not report back within the
     * probe timeout loses its slot to the next caller, and its late outcome no longer matches the slot.
     *
     * In half-open, a slow success counts as a failure: a backend that is still slow is not recovered.
     */

    private static final int GENERATION_SHIFT = 24;
    private static final int CLAIM_SHIFT = 8;
    private static final long CLAIM_MASK = 0xFFFF;
    private static final long SLOT_MASK = 0xFF;
    private static final System.Logger LOG = System.getLogger(CircuitBreaker.class.getName());

    private final CircuitBreakerSpec spec;
    private final NanoClock clock;
    private final AtomicReference<Phase> phase;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final LongAdder rejected = new LongAdder();

    NonBlockingCircuitBreaker(CircuitBreakerSpec spec) {
        this.spec = spec;
        this.clock = spec.clock();
        this.phase = new AtomicReference<>(new Closed(State.CLOSED, 0, spec));
    }

    @Override
    public long tryAcquire() {
        for (; ; ) {
            Phase current = phase.get();
            switch (current) {
                case Closed closed -> {
                    return closed.generation << GENERATION_SHIFT;
                }
                case Disabled disabled -> {
                    return disabled.generation << GENERATION_SHIFT;
                }
                case Open open -> {
                    if (open.state == State.FORCED_OPEN || clock.nowNanos() - open.untilNanos < 0) {
                        return reject(open.state);
                    }
                    transition(open, new HalfOpen(open.generation + 1, open.reopenings, clock.nowNanos(), spec));
                }
                case HalfOpen halfOpen -> {
                    long now = clock.nowNanos();
                    long permit = halfOpen.claim(now, spec.probeTimeoutNanos());
                    if (permit == HalfOpen.STALE) {
                        transition(halfOpen, new HalfOpen(halfOpen.generation + 1, halfOpen.reopenings, now, spec));
                        continue;
                    }
                    return permit == REJECTED ? reject(State.HALF_OPEN) : permit;
                }
            }
        }
    }

    @Override
    public void onSuccess(long permit, long durationNanos) {
        record(permit, false, durationNanos >= spec.slowCallNanos());
    }

    @Override
    public void onFailure(long permit, long durationNanos) {
        record(permit, true, durationNanos >= spec.slowCallNanos());
    }

    @Override
    public void onError(long permit, long durationNanos, Throwable error) {
        record(permit, spec.failurePredicate().test(error), durationNanos >= spec.slowCallNanos());
    }

    @Override
    public void onStatus(long permit, long durationNanos, int status) {
        record(permit, spec.failureStatus().test(status), durationNanos >= spec.slowCallNanos());
    }

    @Override
    public void release(long permit) {
        if (phase.get() instanceof HalfOpen halfOpen && halfOpen.owns(permit)) {
            halfOpen.free(permit);
        }
    }

    private void record(long permit, boolean failure, boolean slow) {
        if (permit == REJECTED) {
            return;
        }
        Phase current = phase.get();
        if (current.generation != permit >>> GENERATION_SHIFT) {
            return; // the call began in an earlier phase
        }
        switch (current) {
            case Closed closed -> recordClosed(closed, failure, slow);
            case HalfOpen halfOpen -> recordProbe(halfOpen, permit, failure || slow);
            case Open open -> {}
            case Disabled disabled -> {}
        }
    }

    private void recordClosed(Closed closed, boolean failure, boolean slow) {
        long now = spec.timeWindow() ? clock.nowNanos() : 0;
        closed.window.record(failure, slow, now);
        boolean trip = false;
        if (failure) {
            int inARow = closed.consecutiveFailures.incrementAndGet();
            trip = (spec.consecutiveFailures() > 0 && inARow >= spec.consecutiveFailures())
                    || closed.window.reachesThreshold(spec, true, now);
        } else if (closed.consecutiveFailures.getOpaque() != 0) {
            closed.consecutiveFailures.setOpaque(0);
        }
        if (slow && !trip) {
            trip = closed.window.reachesThreshold(spec, false, now);
        }
        if (trip && closed.state == State.CLOSED) {
            open(closed, 0);
        }
    }

    private void recordProbe(HalfOpen halfOpen, long permit, boolean failed) {
        if (!halfOpen.owns(permit)) {
            return; // timed out: its slot went to another probe
        }
        if (failed) {
            open(halfOpen, halfOpen.reopenings + 1);
            return;
        }
        halfOpen.free(permit);
        if (halfOpen.successes.incrementAndGet() >= spec.halfOpenProbes()) {
            transition(halfOpen, new Closed(State.CLOSED, halfOpen.generation + 1, spec));
        }
    }

    private void open(Phase from, int reopenings) {
        long now = clock.nowNanos();
        long until = now + spec.cooldownNanos(reopenings);
        transition(from, new Open(State.OPEN, from.generation + 1, until, reopenings));
    }

    private long reject(State state) {
        rejected.increment();
        if (!listeners.isEmpty()) {
            for (Listener listener : listeners) {
                try {
                    listener.onRejected(state);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "circuit breaker listener failed on a rejection", e);
                }
            }
        }
        return REJECTED;
    }

    /** Swaps {@code from} for {@code to}; only the winner of the swap notifies. */
    private boolean transition(Phase from, Phase to) {
        if (!phase.compareAndSet(from, to)) {
            return false;
        }
        if (from.state != to.state) { // a half-open phase renewed for its clock is no change
            notifyChange(from.state, to.state);
        }
        return true;
    }

    /** An operator's change: applies whatever the current phase is. */
    private void force(java.util.function.LongFunction<Phase> next) {
        for (; ; ) {
            Phase current = phase.get();
            if (transition(current, next.apply(current.generation + 1))) {
                return;
            }
        }
    }

    private void notifyChange(State from, State to) {
        if (listeners.isEmpty()) {
            return;
        }
        long now = clock.nowNanos();
        for (Listener listener : listeners) {
            try {
                listener.onStateChange(from, to, now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "circuit breaker listener failed on " + from + " -> " + to, e);
            }
        }
    }

    @Override
    public State state() {
        return phase.get().state;
    }

    @Override
    public Metrics metrics() {
        long now = clock.nowNanos();
        return switch (phase.get()) {
            case Closed closed ->
                new Metrics(
                        closed.state,
                        closed.window.calls(now),
                        closed.window.failures(now),
                        closed.window.slowCalls(now),
                        closed.consecutiveFailures.get(),
                        rejected.sum(),
                        0);
            case HalfOpen halfOpen ->
                new Metrics(State.HALF_OPEN, halfOpen.successes.get(), 0, 0, 0, rejected.sum(), 0);
            case Open open ->
                new Metrics(
                        open.state,
                        0,
                        0,
                        0,
                        0,
                        rejected.sum(),
                        open.state == State.FORCED_OPEN ? Long.MAX_VALUE : Math.max(0, open.untilNanos - now));
            case Disabled disabled -> new Metrics(State.DISABLED, 0, 0, 0, 0, rejected.sum(), 0);
        };
    }

    @Override
    public void forceOpen() {
        force(generation -> new Open(State.FORCED_OPEN, generation, Long.MAX_VALUE, 0));
    }

    @Override
    public void forceClosed() {
        force(generation -> new Closed(State.FORCED_CLOSED, generation, spec));
    }

    @Override
    public void disable() {
        force(Disabled::new);
    }

    @Override
    public void reset() {
        force(generation -> new Closed(State.CLOSED, generation, spec));
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public CircuitBreakerSpec spec() {
        return spec;
    }

    private abstract static sealed class Phase permits Closed, Open, HalfOpen, Disabled {
        final State state;
        final long generation;

        Phase(State state, long generation) {
            this.state = state;
            this.generation = generation;
        }
    }

    /** Closed or forced closed: calls pass and are recorded. */
    private static final class Closed extends Phase {
        final OutcomeWindow window;
        final AtomicInteger consecutiveFailures = new AtomicInteger();

        Closed(State state, long generation, CircuitBreakerSpec spec) {
            super(state, generation);
            this.window = OutcomeWindow.of(spec);
        }
    }

    /** Open until a time, or forced open. */
    private static final class Open extends Phase {
        final long untilNanos;
        final int reopenings;

        Open(State state, long generation, long untilNanos, int reopenings) {
            super(state, generation);
            this.untilNanos = untilNanos;
            this.reopenings = reopenings;
        }
    }

    /** Disabled: calls pass, nothing is recorded. */
    private static final class Disabled extends Phase {
        Disabled(long generation) {
            super(State.DISABLED, generation);
        }
    }

    /** Half-open: a fixed number of probe slots. */
    private static final class HalfOpen extends Phase {
        /*
         * A slot word packs the claim number of its probe (16 bits, 1..65535; 0 = free) over when it
         * was claimed, in nanoseconds since the phase began (48 bits, about 78 hours). One CAS takes
         * a slot, so nobody can see a new claim with an old time. A phase that outlives the 48 bits
         * asks to be replaced by a fresh one (STALE).
         */
        static final long STALE = -2;
        private static final long TIME_MASK = (1L << 48) - 1;

        final int reopenings;
        final long startNanos;
        final AtomicInteger successes = new AtomicInteger();
        final AtomicLongArray slots;
        final AtomicInteger claimCounter = new AtomicInteger();

        HalfOpen(long generation, int reopenings, long startNanos, CircuitBreakerSpec spec) {
            super(State.HALF_OPEN, generation);
            this.reopenings = reopenings;
            this.startNanos = startNanos;
            this.slots = new AtomicLongArray(spec.halfOpenProbes());
        }

        /** A permit for a free (or timed-out) slot, REJECTED, or STALE. */
        long claim(long nowNanos, long timeoutNanos) {
            long sinceStart = nowNanos - startNanos;
            if (sinceStart >= TIME_MASK) {
                return STALE;
            }
            for (int slot = 0; slot < slots.length(); slot++) {
                long held = slots.get(slot);
                if (held != 0 && sinceStart - (held & TIME_MASK) < timeoutNanos) {
                    continue;
                }
                long claim = (claimCounter.getAndIncrement() & Integer.MAX_VALUE) % CLAIM_MASK + 1;
                if (slots.compareAndSet(slot, held, (claim << 48) | sinceStart)) {
                    return (generation << GENERATION_SHIFT) | (claim << CLAIM_SHIFT) | (slot + 1);
                }
            }
            return REJECTED;
        }

        boolean owns(long permit) {
            int slot = (int) (permit & SLOT_MASK) - 1;
            return slot >= 0
                    && slot < slots.length()
                    && slots.get(slot) >>> 48 == ((permit >>> CLAIM_SHIFT) & CLAIM_MASK);
        }

        void free(long permit) {
            int slot = (int) (permit & SLOT_MASK) - 1;
            long held = slots.get(slot);
            if (held >>> 48 == ((permit >>> CLAIM_SHIFT) & CLAIM_MASK)) {
                slots.compareAndSet(slot, held, 0);
            }
        }
    }
}
