@NullMarked
package dev.gatehouse.core.time;

import org.jspecify.annotations.NullMarked;
