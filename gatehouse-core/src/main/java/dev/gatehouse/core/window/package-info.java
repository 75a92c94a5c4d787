/** Counters of fixed windows, the port envoyproxy/ratelimit-style limits count in, and its memory implementation. */
@NullMarked
package dev.gatehouse.core.window;

import org.jspecify.annotations.NullMarked;
