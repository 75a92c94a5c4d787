/**
 * The GatekeeperAPI-compatible waiting room as a surface of {@code gatehouse serve}: its settings,
 * routes, validation answers in FastAPI's shape, per-IP limits and metrics.
 */
@NullMarked
package dev.gatehouse.server.room;

import org.jspecify.annotations.NullMarked;
