/**
 * Envoy's rate-limit service ({@code envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit})
 * over gRPC, for {@code gatehouse serve}: {@link dev.gatehouse.envoy.EnvoyRateLimitServer}. The
 * messages are compiled from Envoy's wire definitions ({@code src/main/protobuf}) into {@code
 * dev.gatehouse.envoy.wire}.
 */
@NullMarked
package dev.gatehouse.envoy;

import org.jspecify.annotations.NullMarked;
