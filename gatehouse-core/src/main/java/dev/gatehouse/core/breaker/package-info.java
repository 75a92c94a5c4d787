@NullMarked
package dev.gatehouse.core.breaker;

import org.jspecify.annotations.NullMarked;
