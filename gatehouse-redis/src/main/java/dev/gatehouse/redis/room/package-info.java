/**
 * The waiting room's {@link dev.gatehouse.waitingroom.QueueState} in Redis, reached through {@link
 * dev.gatehouse.redis.RedisBackend#queueState}: every operation one atomic script on the room's
 * hash-tagged keys.
 */
@NullMarked
package dev.gatehouse.redis.room;

import org.jspecify.annotations.NullMarked;
