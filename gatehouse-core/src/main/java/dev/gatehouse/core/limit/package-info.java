@NullMarked
package dev.gatehouse.core.limit;

import org.jspecify.annotations.NullMarked;
