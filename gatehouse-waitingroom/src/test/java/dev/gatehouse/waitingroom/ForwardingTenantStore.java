package dev.gatehouse.waitingroom;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** A {@link TenantStore} passing every call to another, for tests to change one call. */
class ForwardingTenantStore implements TenantStore {

    private final TenantStore delegate;

    ForwardingTenantStore(TenantStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletionStage<List<Tenant>> tenants() {
        return delegate.tenants();
    }

    @Override
    public CompletionStage<Boolean> register(Tenant tenant) {
        return delegate.register(tenant);
    }

    @Override
    public CompletionStage<Optional<Issued>> add(String id, String name) {
        return delegate.add(id, name);
    }

    @Override
    public CompletionStage<Optional<Issued>> rotateKey(String id) {
        return delegate.rotateKey(id);
    }

    @Override
    public CompletionStage<Boolean> revoke(String id) {
        return delegate.revoke(id);
    }

    @Override
    public CompletionStage<Optional<RoomConfig>> config(String id) {
        return delegate.config(id);
    }

    @Override
    public CompletionStage<Void> saveConfig(String id, RoomConfig config) {
        return delegate.saveConfig(id, config);
    }

    @Override
    public CompletionStage<Void> audit(List<AuditEvent> events) {
        return delegate.audit(events);
    }

    @Override
    public CompletionStage<List<AuditEvent>> recentAudit(String id, int limit) {
        return delegate.recentAudit(id, limit);
    }

    @Override
    public CompletionStage<Long> pruneAudit(long beforeMillis) {
        return delegate.pruneAudit(beforeMillis);
    }
}
