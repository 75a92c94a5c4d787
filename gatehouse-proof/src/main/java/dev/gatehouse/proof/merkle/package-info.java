@NullMarked
package dev.gatehouse.proof.merkle;

import org.jspecify.annotations.NullMarked;
