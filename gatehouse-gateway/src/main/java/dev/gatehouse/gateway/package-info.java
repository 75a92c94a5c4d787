/**
 * The sidecar of {@code gatehouse gateway}: a reverse proxy to one upstream with the admission
 * pipeline in front of it (client key, rate limit, circuit breaker), Wicket's admin API under a
 * prefix, and metrics on the private admin listener.
 */
@NullMarked
package dev.gatehouse.gateway;

import org.jspecify.annotations.NullMarked;
