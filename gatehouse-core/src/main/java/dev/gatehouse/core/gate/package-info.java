/**
 * Gatehouse in front of an application, whatever its HTTP stack: an {@link
 * dev.gatehouse.core.gate.AdmissionGate} judges each request (limits per path prefix and client key,
 * a circuit breaker) and tells the integration what to answer; the servlet filter and the Vert.x
 * handler are thin adapters over it.
 */
@NullMarked
package dev.gatehouse.core.gate;

import org.jspecify.annotations.NullMarked;
