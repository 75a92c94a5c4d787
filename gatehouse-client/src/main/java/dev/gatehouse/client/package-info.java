/**
 * Clients of {@code gatehouse serve} for a business's backend: {@link dev.gatehouse.client.RoomClient}
 * (the waiting room's verify and finish), {@link dev.gatehouse.client.OfflineTokenVerifier} (queue
 * tokens checked with the room's public key, without a call per request) and {@link
 * dev.gatehouse.client.RateClient} (the gocc-compatible rate service). Every call is bounded in time
 * and every answer in size; they are safe to share between threads.
 */
@NullMarked
package dev.gatehouse.client;

import org.jspecify.annotations.NullMarked;
