package dev.gatehouse.waitingroom;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * {@link TenantStore} in this process: what {@code BUSINESS_IDS} registers, kept until the process
 * ends; the audit log keeps the last {@code auditCapacity} events.
 */
public final class MemoryTenantStore implements TenantStore {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private record Kept(Tenant tenant, boolean revoked) {}

    private final Map<String, Kept> byId = new HashMap<>();
    private final Set<String> keyHashes = new HashSet<>();
    private final Map<String, RoomConfig> configs = new HashMap<>();
    private final Deque<AuditEvent> audit = new ArrayDeque<>();
    private final int auditCapacity;

    public MemoryTenantStore(int auditCapacity) {
        this.auditCapacity = auditCapacity;
    }

    @Override
    public synchronized CompletionStage<List<Tenant>> tenants() {
        return done(byId.values().stream()
                .filter(kept -> !kept.revoked())
                .map(Kept::tenant)
                .sorted(Comparator.comparing(Tenant::id))
                .toList());
    }

    @Override
    public synchronized CompletionStage<Boolean> register(Tenant tenant) {
        if (byId.containsKey(tenant.id())) {
            return done(false);
        }
        if (keyHashes.contains(tenant.keyHash())) {
            return CompletableFuture.failedFuture(
                    new IllegalArgumentException("tenant " + tenant.id() + ": its key hash belongs to another tenant"));
        }
        keep(new Kept(tenant, false));
        return done(true);
    }

    /** Keeps {@code kept} under its id, its key hash held in place of the one it had before. */
    private void keep(Kept kept) {
        Kept before = byId.put(kept.tenant().id(), kept);
        if (before != null) {
            keyHashes.remove(before.tenant().keyHash());
        }
        keyHashes.add(kept.tenant().keyHash());
    }

    @Override
    public synchronized CompletionStage<Optional<Issued>> add(String id, String name) {
        if (byId.containsKey(id)) {
            return done(Optional.empty());
        }
        String key = ApiKeys.generate();
        Tenant tenant = new Tenant(id, name, ApiKeys.hash(key));
        keep(new Kept(tenant, false));
        return done(Optional.of(new Issued(tenant, key)));
    }

    @Override
    public synchronized CompletionStage<Optional<Issued>> rotateKey(String id) {
        Kept kept = byId.get(id);
        if (kept == null || kept.revoked()) {
            return done(Optional.empty());
        }
        String key = ApiKeys.generate();
        Tenant tenant = new Tenant(id, kept.tenant().name(), ApiKeys.hash(key));
        keep(new Kept(tenant, false));
        return done(Optional.of(new Issued(tenant, key)));
    }

    @Override
    public synchronized CompletionStage<Boolean> revoke(String id) {
        Kept kept = byId.get(id);
        if (kept == null || kept.revoked()) {
            return done(false);
        }
        keep(new Kept(kept.tenant(), true));
        return done(true);
    }

    @Override
    public synchronized CompletionStage<Optional<RoomConfig>> config(String id) {
        return done(Optional.ofNullable(configs.get(id)));
    }

    @Override
    public synchronized CompletionStage<Void> saveConfig(String id, RoomConfig config) {
        configs.put(id, config);
        return DONE;
    }

    @Override
    public synchronized CompletionStage<Void> audit(List<AuditEvent> events) {
        for (AuditEvent event : events) {
            if (audit.size() == auditCapacity) {
                audit.removeFirst();
            }
            audit.addLast(event);
        }
        return DONE;
    }

    @Override
    public synchronized CompletionStage<List<AuditEvent>> recentAudit(String id, int limit) {
        List<AuditEvent> recent = new ArrayList<>();
        var newestFirst = audit.descendingIterator();
        while (newestFirst.hasNext() && recent.size() < limit) {
            AuditEvent event = newestFirst.next();
            if (event.tenantId().equals(id)) {
                recent.add(event);
            }
        }
        return done(recent);
    }

    @Override
    public synchronized CompletionStage<Long> pruneAudit(long beforeMillis) {
        int before = audit.size();
        audit.removeIf(event -> event.atMillis() < beforeMillis);
        return done((long) (before - audit.size()));
    }

    private static <T extends @Nullable Object> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
