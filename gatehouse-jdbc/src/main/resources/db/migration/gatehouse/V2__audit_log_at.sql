-- pruneAudit deletes the entries older than the retention, of every tenant: this index finds them
-- without reading the whole log.
CREATE INDEX audit_log_at ON audit_log (at);
