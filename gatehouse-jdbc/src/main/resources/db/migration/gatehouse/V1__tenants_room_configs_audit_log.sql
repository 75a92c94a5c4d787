-- The waiting room's durable state: tenants with their hashed API keys, each tenant's room config,
-- and the audit log. Flyway runs this in the store's schema (search_path), so names are unqualified.

-- A tenant is never deleted: revoking sets revoked_at, which hides it and its key, and keeps its
-- audit trail meaningful. The raw API key is never stored: key_hash is its SHA-256 in lowercase hex.
CREATE TABLE tenants (
    id          text        NOT NULL,
    name        text        NOT NULL,
    key_hash    text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_key_hash_key UNIQUE (key_hash),
    CONSTRAINT tenants_id_check CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    CONSTRAINT tenants_key_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$')
);

-- One column per RoomConfig field, named as the wire names it. The ranges are checked by RoomConfig
-- when a row is written and again when it is read, not here: one place decides them. A new field
-- needs a migration that adds its column with the value existing rooms get (the store's schema test
-- fails until then).
CREATE TABLE room_configs (
    tenant_id                        text        NOT NULL,
    admission_limit                  bigint      NOT NULL,
    admission_frequency              bigint      NOT NULL,
    jwt_expiry_seconds               bigint      NOT NULL,
    ready_ttl_seconds                bigint      NOT NULL,
    ip_enqueue_limit                 bigint      NOT NULL,
    ip_enqueue_limit_interval        bigint      NOT NULL,
    ip_status_polling_limit          bigint      NOT NULL,
    ip_status_polling_limit_interval bigint      NOT NULL,
    max_active_users                 bigint      NOT NULL,
    abandon_after_seconds            bigint      NOT NULL,
    updated_at                       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT room_configs_pkey PRIMARY KEY (tenant_id)
);

-- Append-only. seq orders events that share a millisecond as they were written; recentAudit reads
-- one tenant's newest rows through audit_log_recent without sorting.
CREATE TABLE audit_log (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id  text        NOT NULL,
    at         timestamptz NOT NULL,
    kind       text        NOT NULL,
    user_id    text,
    count      bigint      NOT NULL,
    CONSTRAINT audit_log_pkey PRIMARY KEY (seq),
    CONSTRAINT audit_log_kind_check CHECK (kind IN (
        'ADMITTED', 'FINISHED', 'EXPIRED', 'ABANDONED', 'CONFIG_CHANGED', 'KEY_ROTATED', 'REVOKED'))
);

CREATE INDEX audit_log_recent ON audit_log (tenant_id, at DESC, seq DESC);
