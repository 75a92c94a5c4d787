/**
 * What the Redis adapters share and do not export: running a Lua script by its SHA-1, and the
 * limiters' Lua that scripts of other ports run on their way (a room's per-address limits). Adapters of
 * different ports live in packages of their own and import this one, never each other.
 */
@NullMarked
package dev.gatehouse.redis.internal;

import org.jspecify.annotations.NullMarked;
