package dev.gatehouse.waitingroom;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Where tenants, their hashed API keys, their saved room configs and the audit log live: this
 * process ({@link MemoryTenantStore}) or PostgreSQL (the JDBC adapter), both passing one contract
 * suite. Revoked tenants are kept (their audit stays) but never listed.
 */
public interface TenantStore {

    /** The tenants that are not revoked, by id. */
    CompletionStage<List<Tenant>> tenants();

    /**
     * Adds {@code tenant} unless a tenant with its id exists (revoked or not); whether it did. Fails
     * when another tenant, live or revoked, holds its key: a key names one tenant. How {@code
     * BUSINESS_IDS} tenants are made at start, by every replica.
     */
    CompletionStage<Boolean> register(Tenant tenant);

    /**
     * Adds a tenant named {@code id} with a new key; empty when the id is taken. The raw key is in
     * the result and nowhere else.
     */
    CompletionStage<Optional<Issued>> add(String id, String name);

    /** Gives the tenant a new key (the old one stops working); empty when there is no such live tenant. */
    CompletionStage<Optional<Issued>> rotateKey(String id);

    /** Revokes the tenant; whether a live tenant of that id existed. */
    CompletionStage<Boolean> revoke(String id);

    /** The room config last saved for the tenant. */
    CompletionStage<Optional<RoomConfig>> config(String id);

    /** Saves the tenant's room config. */
    CompletionStage<Void> saveConfig(String id, RoomConfig config);

    /** Appends {@code events} to the audit log. */
    CompletionStage<Void> audit(List<AuditEvent> events);

    /** The {@code limit} most recent audit events of a tenant, newest first. */
    CompletionStage<List<AuditEvent>> recentAudit(String id, int limit);

    /**
     * Deletes the audit events of every tenant from before {@code beforeMillis} (their time, not when
     * they were written); how many it deleted. Safe to run from several replicas at once.
     */
    CompletionStage<Long> pruneAudit(long beforeMillis);

    /** A tenant and its raw key, as issued (shown once). */
    record Issued(Tenant tenant, String apiKey) {}

    /** What the audit log records. */
    enum AuditKind {
        ADMITTED,
        FINISHED,
        EXPIRED,
        ABANDONED,
        CONFIG_CHANGED,
        KEY_ROTATED,
        REVOKED
    }

    /**
     * One audit entry: a tenant, when, what, the user it is about (none for counts and tenant
     * changes) and a count (1 for a single user).
     */
    record AuditEvent(
            String tenantId,
            long atMillis,
            AuditKind kind,
            @Nullable String user,
            long count) {}
}
