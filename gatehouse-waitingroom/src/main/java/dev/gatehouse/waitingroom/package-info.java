/**
 * The waiting room without HTTP: tenants and their hashed API keys, each tenant's room config, queue
 * tokens, and the queue itself — admission by rate and by capacity, abandonment, exact positions —
 * behind the {@link dev.gatehouse.waitingroom.QueueState} and {@link
 * dev.gatehouse.waitingroom.TenantStore} ports, with memory implementations beside them.
 */
@NullMarked
package dev.gatehouse.waitingroom;

import org.jspecify.annotations.NullMarked;
