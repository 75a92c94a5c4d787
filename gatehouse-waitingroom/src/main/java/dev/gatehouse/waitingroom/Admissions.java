package dev.gatehouse.waitingroom;

import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.waitingroom.QueueState.Advance;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every room moving: calls {@link QueueState#advance} for each room when it next needs it (its
 * next tick, a ready user's expiry, an abandonment), each time after what the room needs first (its
 * event's steps), at least every {@code maxSleepMillis} so that
 * what other replicas change is seen, and at once when {@link #nudge}d (a seat freed, a config
 * changed). Every replica runs one; the store makes each tick happen once. It also writes the audit
 * log of admissions and keeps each room's latest counts and measured admission rate, for metrics and
 * wait estimates.
 */
public final class Admissions implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Admissions.class);
    private static final long STATS_EVERY_MILLIS = 1_000;
    private static final long RATE_WINDOW_MILLIS = 60_000;

    private final QueueState state;
    private final TenantStore audit;
    private final WallClock clock;
    private final Scheduler scheduler;
    private final long maxSleepMillis;
    private final WaitListener waits;
    private final BeforeAdvance before;
    private final Map<String, RoomLoop> loops = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Hears how long each admitted user waited, in milliseconds (for a histogram). */
    @FunctionalInterface
    public interface WaitListener {
        void waited(String room, long millis);
    }

    /** What a room needs before each advance (its event: {@link RoomEvents}); it never fails. */
    @FunctionalInterface
    public interface BeforeAdvance {
        CompletionStage<@Nullable Void> run(String room, long nowMillis);

        /** Nothing. */
        BeforeAdvance NOTHING = (room, nowMillis) -> CompletableFuture.completedFuture(null);
    }

    public Admissions(
            QueueState state,
            TenantStore audit,
            WallClock clock,
            Scheduler scheduler,
            long maxSleepMillis,
            WaitListener waits,
            BeforeAdvance before) {
        this.waits = waits;
        this.before = before;
        this.state = state;
        this.audit = audit;
        this.clock = clock;
        this.scheduler = scheduler;
        this.maxSleepMillis = maxSleepMillis;
    }

    /** Moves exactly {@code rooms}: starts the new ones at once, stops the ones no longer named. */
    public synchronized void rooms(Collection<String> rooms) {
        if (closed) {
            return;
        }
        Set<String> wanted = new HashSet<>(rooms);
        loops.entrySet().removeIf(entry -> {
            if (wanted.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().stop();
            return true;
        });
        for (String room : wanted) {
            loops.computeIfAbsent(room, RoomLoop::new).nudge();
        }
    }

    /** Advances {@code room} now (after the advance in progress, if any). */
    public void nudge(String room) {
        RoomLoop loop = loops.get(room);
        if (loop != null) {
            loop.nudge();
        }
    }

    /** The latest counts of {@code room}, at most about a second old. */
    public Optional<RoomStats> stats(String room) {
        RoomLoop loop = loops.get(room);
        return loop == null ? Optional.empty() : Optional.ofNullable(loop.latest);
    }

    /**
     * About how many seconds the user at {@code position} of {@code room} has left to wait: from the
     * admission rate measured over the last minute while users were waiting, or, before there is
     * one, from the config's rate; empty while the room is paused, and in a room with a capacity
     * bound before a rate is measured (seats free as their users finish or idle out, which no
     * config says).
     */
    public OptionalLong estimatedWaitSeconds(String room, long position, RoomConfig config) {
        RoomLoop loop = loops.get(room);
        double perSecond = loop == null ? 0 : loop.measuredRate();
        if (perSecond <= 0) {
            if (config.admissionLimit() == 0 || config.maxActiveUsers() > 0) {
                return OptionalLong.empty();
            }
            perSecond = (double) config.admissionLimit() / config.admissionFrequencySeconds();
        }
        return OptionalLong.of((long) Math.ceil(position / perSecond));
    }

    @Override
    public synchronized void close() {
        closed = true;
        loops.values().forEach(RoomLoop::stop);
        loops.clear();
    }

    private record Sample(long atMillis, long admittedTotal, long queued) {}

    /** One room's advances: never two at once; a nudge during one runs another right after it. */
    private final class RoomLoop {
        private final String room;
        private final Deque<Sample> samples = new ArrayDeque<>();
        private volatile double rate;
        private volatile @Nullable RoomStats latest;
        private Scheduler.@Nullable Task next;
        private boolean running;
        private boolean again;
        private boolean stopped;
        private boolean failing;
        private long lastStatsMillis;

        RoomLoop(String room) {
            this.room = room;
        }

        synchronized void nudge() {
            if (stopped) {
                return;
            }
            if (running) {
                again = true;
                return;
            }
            schedule(0);
        }

        synchronized void stop() {
            stopped = true;
            if (next != null) {
                next.cancel();
            }
        }

        private void schedule(long delayMillis) {
            if (next != null) {
                next.cancel();
            }
            next = scheduler.schedule(this::run, TimeUnit.MILLISECONDS.toNanos(delayMillis));
        }

        private void run() {
            synchronized (this) {
                if (stopped || running) {
                    again |= running;
                    return;
                }
                running = true;
                again = false;
            }
            long now = clock.epochMillis();
            CompletionStage<Advance> advanced;
            try {
                // the time is read again after the room's steps: a large draw takes seconds
                advanced = before.run(room, now).thenCompose(ready -> {
                    long after = clock.epochMillis();
                    return state.advance(room, after).thenCompose(advance -> sampled(advance, after));
                });
            } catch (RuntimeException e) {
                advanced = CompletableFuture.failedFuture(e);
            }
            advanced.whenComplete((advance, failure) -> finished(clock.epochMillis(), advance, failure));
        }

        private CompletionStage<Advance> sampled(Advance advance, long now) {
            record(advance, now);
            if (now - lastStatsMillis < STATS_EVERY_MILLIS && !advance.ticked()) {
                return CompletableFuture.completedFuture(advance);
            }
            lastStatsMillis = now;
            return state.stats(room, now).thenApply(stats -> {
                sample(stats, now);
                return advance;
            });
        }

        private void finished(long now, @Nullable Advance advance, @Nullable Throwable failure) {
            long delay;
            if (failure != null || advance == null) {
                if (!failing) {
                    LOG.warn(
                            "room {}: cannot advance, retrying: {}",
                            room,
                            failure == null
                                    ? "no answer"
                                    : Failures.cause(failure).toString());
                    failing = true;
                }
                delay = maxSleepMillis;
            } else {
                if (failing) {
                    LOG.info("room {}: advancing again", room);
                    failing = false;
                }
                delay = Math.clamp(advance.nextWakeMillis() - now, 0, maxSleepMillis);
            }
            synchronized (this) {
                running = false;
                if (stopped || closed) {
                    return;
                }
                schedule(again ? 0 : delay);
            }
        }

        private void record(Advance advance, long now) {
            List<AuditEvent> events = new ArrayList<>();
            for (QueueState.Admitted admitted : advance.admitted()) {
                events.add(new AuditEvent(room, now, AuditKind.ADMITTED, admitted.user(), 1));
                waits.waited(room, Math.max(0, now - admitted.enqueuedAtMillis()));
            }
            if (advance.expired() > 0) {
                events.add(new AuditEvent(room, now, AuditKind.EXPIRED, null, advance.expired()));
            }
            if (advance.abandoned() > 0) {
                events.add(new AuditEvent(room, now, AuditKind.ABANDONED, null, advance.abandoned()));
            }
            if (!events.isEmpty()) {
                audit.audit(events).whenComplete((done, failure) -> {
                    if (failure != null) {
                        LOG.warn("room {}: {} audit events not written: {}", room, events.size(), failure.toString());
                    }
                });
            }
        }

        private synchronized void sample(RoomStats stats, long now) {
            latest = stats;
            samples.addLast(new Sample(now, stats.admittedTotal(), stats.queued()));
            while (samples.size() > 2 && samples.getFirst().atMillis() < now - RATE_WINDOW_MILLIS) {
                samples.removeFirst();
            }
            rate = rateOfSamples();
        }

        /**
         * Admissions per second over the window, when users waited throughout it (else 0: unknown);
         * worked out at each sample, so that a status poll reads a field instead of the samples.
         */
        double measuredRate() {
            return rate;
        }

        private double rateOfSamples() {
            if (samples.size() < 2) {
                return 0;
            }
            Sample first = samples.getFirst();
            Sample last = samples.getLast();
            long millis = last.atMillis() - first.atMillis();
            for (Sample sample : samples) {
                if (sample.queued() == 0) {
                    return 0; // the queue ran dry within the window: the admissions say nothing of the rate
                }
            }
            if (millis < STATS_EVERY_MILLIS) {
                return 0;
            }
            return (last.admittedTotal() - first.admittedTotal()) * 1000.0 / millis;
        }
    }
}
