@NullMarked
package dev.gatehouse.proof.pow;

import org.jspecify.annotations.NullMarked;
