@NullMarked
package dev.gatehouse.rate;

import org.jspecify.annotations.NullMarked;
