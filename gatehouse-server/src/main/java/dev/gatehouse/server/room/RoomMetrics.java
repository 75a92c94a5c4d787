package dev.gatehouse.server.room;

import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.Tenant;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The rooms' metrics on the admin listener, per tenant: users queued and ready now, and users
 * admitted, expired, abandoned and finished in total. At most {@code maxTenants} tenants (the first
 * by id) have series of their own; the rest are summed under {@code tenant="_other"}, so a database
 * of many tenants cannot flood the metrics. The counts are the room's as the store keeps them (shared
 * by every replica), at most about a second old.
 */
final class RoomMetrics {

    private static final String OTHER = "_other";

    private final MeterRegistry registry;
    private final Admissions admissions;
    private final int maxTenants;
    private final List<Meter> meters = new ArrayList<>();

    RoomMetrics(MeterRegistry registry, Admissions admissions, int maxTenants) {
        this.registry = registry;
        this.admissions = admissions;
        this.maxTenants = maxTenants;
    }

    /** Registers the series of {@code tenants} (sorted by id), dropping those of tenants gone. */
    synchronized void tenants(List<Tenant> tenants) {
        meters.forEach(registry::remove);
        meters.clear();
        List<String> ids = tenants.stream().map(Tenant::id).sorted().toList();
        List<String> own = ids.subList(0, Math.min(maxTenants, ids.size()));
        Set<String> overflow = new HashSet<>(ids.subList(own.size(), ids.size()));
        for (String id : own) {
            register(id, Set.of(id));
        }
        if (!overflow.isEmpty()) {
            register(OTHER, overflow);
        }
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
        long total = 0;
        for (String room : rooms) {
            total += admissions.stats(room).map(count::applyAsLong).orElse(0L);
        }
        return total;
    }
}
