/**
 * PostgreSQL adapters (pgjdbc, HikariCP, Flyway): {@link dev.gatehouse.jdbc.PostgresTenantStore}
 * keeps the waiting room's tenants, their hashed API keys, their room configs and the audit log;
 * {@link dev.gatehouse.jdbc.DatabaseUrl} reads the database URL forms operators already have.
 */
@NullMarked
package dev.gatehouse.jdbc;

import org.jspecify.annotations.NullMarked;
