@NullMarked
package dev.gatehouse.redis;

import org.jspecify.annotations.NullMarked;
