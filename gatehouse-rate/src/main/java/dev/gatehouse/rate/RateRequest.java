package dev.gatehouse.rate;

import java.util.OptionalInt;

/**
 * One call to decide: its key (trimmed, non-empty), whether it may wait in the key's queue, and the
 * overrides of the key's limits it asks for (empty: none).
 */
public record RateRequest(String key, boolean canWait, OptionalInt maxRequests, OptionalInt maxRequestsInQueue) {}
