@NullMarked
package dev.gatehouse.proof.internal;

import org.jspecify.annotations.NullMarked;
