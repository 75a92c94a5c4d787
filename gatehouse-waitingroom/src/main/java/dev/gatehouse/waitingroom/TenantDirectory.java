package dev.gatehouse.waitingroom;

import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.time.Scheduler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live tenants as this process knows them, read from the {@link TenantStore} at start and again
 * every refresh interval, so that a key added, rotated or revoked by {@code gatehouse tenants} on
 * another machine takes effect here within that interval. A request finds its tenant by the hash of
 * its key in the last snapshot, without asking the store; when a refresh fails the last snapshot
 * stays.
 */
public final class TenantDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TenantDirectory.class);

    /**
     * One read of the store. {@code byKeySeen} remembers the keys requests presented that matched a
     * hash, so that a tenant's every request does not hash its key again; it lives and goes with the
     * snapshot (a rotated or revoked key is forgotten with the list that held it) and holds at most one
     * key per hash, as a key has one hash: unknown keys are never kept.
     */
    private record Snapshot(
            List<Tenant> tenants,
            Map<String, Tenant> byKeyHash,
            Map<String, Tenant> byId,
            ConcurrentHashMap<String, Tenant> byKeySeen) {
        static Snapshot of(List<Tenant> tenants) {
            Map<String, Tenant> byKeyHash = new HashMap<>();
            Map<String, Tenant> byId = new HashMap<>();
            tenants.forEach(tenant -> {
                byKeyHash.put(tenant.keyHash(), tenant);
                byId.put(tenant.id(), tenant);
            });
            return new Snapshot(
                    List.copyOf(tenants), Map.copyOf(byKeyHash), Map.copyOf(byId), new ConcurrentHashMap<>());
        }

        @Nullable
        Tenant byKey(String apiKey) {
            Tenant seen = byKeySeen.get(apiKey);
            if (seen != null) {
                return seen;
            }
            Tenant found = byKeyHash.get(ApiKeys.hash(apiKey));
            if (found != null) {
                byKeySeen.putIfAbsent(apiKey, found);
            }
            return found;
        }

        @Override
        public String toString() { // never the keys seen
            return "Snapshot" + tenants;
        }
    }

    private final TenantStore store;
    private final Consumer<List<Tenant>> onChange;
    private volatile Snapshot snapshot;
    private volatile @Nullable Recurring refreshing;
    private boolean failing;

    private TenantDirectory(TenantStore store, Consumer<List<Tenant>> onChange, List<Tenant> first) {
        this.store = store;
        this.onChange = onChange;
        this.snapshot = Snapshot.of(first);
    }

    /**
     * Reads the tenants of {@code store} (waiting at most {@code firstReadMillis}), then refreshes them
     * every {@code refreshMillis} on {@code scheduler}; {@code onChange} hears every list that differs
     * from the one before, the first one included. Throws {@link IllegalStateException} when the first
     * read fails.
     */
    public static TenantDirectory start(
            TenantStore store,
            Scheduler scheduler,
            long refreshMillis,
            long firstReadMillis,
            Consumer<List<Tenant>> onChange) {
        List<Tenant> first;
        try {
            first = store.tenants().toCompletableFuture().get(firstReadMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the tenants", e);
        } catch (Exception e) {
            Throwable cause =
                    e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot read the tenants: " + cause.getMessage(), cause);
        }
        TenantDirectory directory = new TenantDirectory(store, onChange, first);
        onChange.accept(directory.snapshot.tenants());
        long refreshNanos = TimeUnit.MILLISECONDS.toNanos(refreshMillis);
        directory.refreshing = Recurring.start(scheduler, refreshNanos, refreshNanos, directory::refresh);
        return directory;
    }

    /** The live tenant whose key is {@code apiKey}. */
    public Optional<Tenant> byKey(String apiKey) {
        return Optional.ofNullable(snapshot.byKey(apiKey));
    }

    /** The live tenant whose id is {@code id}. */
    public Optional<Tenant> byId(String id) {
        return Optional.ofNullable(snapshot.byId().get(id));
    }

    /** The live tenants, by id. */
    public List<Tenant> tenants() {
        return snapshot.tenants();
    }

    private CompletionStage<List<Tenant>> refresh() {
        return store.tenants().whenComplete((tenants, failure) -> {
            synchronized (this) {
                if (failure != null) {
                    if (!failing) {
                        Throwable cause = Failures.cause(failure);
                        LOG.warn("cannot refresh the tenants, keeping the last list: {}", cause.toString());
                        failing = true;
                    }
                } else {
                    if (failing) {
                        LOG.info("tenants refreshed again");
                        failing = false;
                    }
                    if (!tenants.equals(snapshot.tenants())) {
                        snapshot = Snapshot.of(tenants);
                        onChange.accept(snapshot.tenants());
                    }
                }
            }
        });
    }

    @Override
    public void close() {
        Recurring recurring = refreshing;
        if (recurring != null) {
            recurring.close();
        }
    }
}
