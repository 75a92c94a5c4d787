@NullMarked
package dev.gatehouse.core.degrade;

import org.jspecify.annotations.NullMarked;
