@NullMarked
package dev.gatehouse.testing;

import org.jspecify.annotations.NullMarked;
