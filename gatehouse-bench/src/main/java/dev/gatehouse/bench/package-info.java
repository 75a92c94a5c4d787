@NullMarked
package dev.gatehouse.bench;

import org.jspecify.annotations.NullMarked;
