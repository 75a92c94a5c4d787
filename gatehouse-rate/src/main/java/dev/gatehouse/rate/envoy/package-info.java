/**
 * Envoy's rate-limit service without gRPC: envoyproxy/ratelimit's descriptor configuration (domains,
 * nested descriptors, wildcards, {@code unlimited}, {@code shadow_mode}, {@code replaces}, {@code
 * share_threshold}), its fixed windows aligned to the epoch, hits addends and per-descriptor
 * statuses, over the {@link dev.gatehouse.core.window.WindowCounters} port.
 */
@NullMarked
package dev.gatehouse.rate.envoy;

import org.jspecify.annotations.NullMarked;
