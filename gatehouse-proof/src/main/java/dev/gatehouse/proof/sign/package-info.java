@NullMarked
package dev.gatehouse.proof.sign;

import org.jspecify.annotations.NullMarked;
