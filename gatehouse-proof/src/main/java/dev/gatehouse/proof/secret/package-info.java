@NullMarked
package dev.gatehouse.proof.secret;

import org.jspecify.annotations.NullMarked;
