package dev.gatehouse.rate;

/**
 * The state of one key as {@code /debug} shows it.
 *
 * @param key the key
 * @param limits the limits in force for it
 * @param approvedThisWindow permits in use: admitted this window, in flight, or not yet refilled
 * @param deniedThisWindow calls refused this window (a call that waits is not refused)
 * @param waiting calls waiting in the key's queue
 */
public record KeySnapshot(String key, RateLimits limits, long approvedThisWindow, long deniedThisWindow, int waiting) {}
