package dev.gatehouse.server.room;

import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.Tenant;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The rooms' metrics on the admin listener, per tenant: users queued and ready now, and users
 * admitted, expired, abandoned and finished in total, and how long admitted users waited (a
 * histogram). At most {@code maxTenants} tenants (the first
 * by id) have series of their own; the rest are summed under {@code tenant="_other"}, so a database
 * of many tenants cannot flood the metrics. The counts are the room's as the store keeps them (shared
 * by every replica), at most about a second old.
 */
final class RoomMetrics implements Admissions.WaitListener {

    private static final String OTHER = "_other";

    private final MeterRegistry registry;
    private volatile @Nullable Admissions admissions;
    private final int maxTenants;
    private final List<Meter> meters = new ArrayList<>();
    private volatile Map<String, Timer> waits = Map.of();
    private volatile @Nullable Timer otherWaits;

    RoomMetrics(MeterRegistry registry, int maxTenants) {
        this.registry = registry;
        this.maxTenants = maxTenants;
    }

    /** Reads the rooms' counts from {@code source} (which hears the waits here: built after this). */
    void countsFrom(Admissions source) {
        this.admissions = source;
    }

    /** Records that a user of {@code room} was admitted after waiting {@code millis}. */
    @Override
    public void waited(String room, long millis) {
        Timer timer = waits.get(room);
        if (timer == null) {
            timer = otherWaits;
        }
        if (timer != null) {
            timer.record(millis, TimeUnit.MILLISECONDS);
        }
    }

    /** Registers the series of {@code tenants} (sorted by id), dropping those of tenants gone. */
    synchronized void tenants(List<Tenant> tenants) {
        meters.forEach(registry::remove);
        meters.clear();
        otherWaits = null;
        List<String> ids = tenants.stream().map(Tenant::id).sorted().toList();
        List<String> own = ids.subList(0, Math.min(maxTenants, ids.size()));
        Set<String> overflow = new HashSet<>(ids.subList(own.size(), ids.size()));
        Map<String, Timer> timers = new HashMap<>();
        for (String id : own) {
            register(id, Set.of(id));
            timers.put(id, waitTimer(id));
        }
        if (!overflow.isEmpty()) {
            register(OTHER, overflow);
            otherWaits = waitTimer(OTHER);
        }
        waits = Map.copyOf(timers);
    }

    private Timer waitTimer(String label) {
        Timer timer = Timer.builder("gatehouse.room.wait")
                .description("How long admitted users waited in the queue")
                .tag("tenant", label)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1))
                .maximumExpectedValue(Duration.ofHours(6))
                .register(registry);
        meters.add(timer);
        return timer;
    }

    private void register(String label, Set<String> rooms) {
        gauge("gatehouse.room.queued", "Users waiting in the queue", label, rooms, RoomStats::queued);
        gauge("gatehouse.room.ready", "Users admitted and not yet finished or expired", label, rooms, RoomStats::ready);
        counter("gatehouse.room.admitted", "Users admitted", label, rooms, RoomStats::admittedTotal);
        counter("gatehouse.room.expired", "Ready users whose time ran out", label, rooms, RoomStats::expiredTotal);
        counter(
                "gatehouse.room.abandoned",
                "Queued users dropped for not polling",
                label,
                rooms,
                RoomStats::abandonedTotal);
        counter(
                "gatehouse.room.finished",
                "Ready users finished by the backend",
                label,
                rooms,
                RoomStats::finishedTotal);
    }

    private void gauge(
            String name, String description, String label, Set<String> rooms, ToLongFunction<RoomStats> count) {
        meters.add(Gauge.builder(name, () -> sum(rooms, count))
                .description(description)
                .tag("tenant", label)
                .register(registry));
    }

    private void counter(
            String name, String description, String label, Set<String> rooms, ToLongFunction<RoomStats> count) {
        meters.add(FunctionCounter.builder(name, rooms, r -> sum(r, count))
                .description(description)
                .tag("tenant", label)
                .register(registry));
    }

    private long sum(Set<String> rooms, ToLongFunction<RoomStats> count) {
        Admissions source = admissions;
        if (source == null) {
            return 0;
        }
        long total = 0;
        for (String room : rooms) {
            total += source.stats(room).map(count::applyAsLong).orElse(0L);
        }
        return total;
    }
}
