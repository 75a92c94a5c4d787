@NullMarked
package dev.gatehouse.core.keyed;

import org.jspecify.annotations.NullMarked;
