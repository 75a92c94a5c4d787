@NullMarked
package dev.gatehouse.core.wait;

import org.jspecify.annotations.NullMarked;
