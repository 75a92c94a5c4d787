@NullMarked
package dev.gatehouse.core.check;

import org.jspecify.annotations.NullMarked;
