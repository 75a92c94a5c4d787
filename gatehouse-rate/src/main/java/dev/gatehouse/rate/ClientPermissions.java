package dev.gatehouse.rate;

/** What callers may override of a key's limits, and the longest key they may name, in UTF-8 bytes. */
public record ClientPermissions(boolean canSetRate, boolean canModQueue, int maxKeyBytes) {}
