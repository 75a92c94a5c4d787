@NullMarked
package dev.gatehouse.proof.token;

import org.jspecify.annotations.NullMarked;
